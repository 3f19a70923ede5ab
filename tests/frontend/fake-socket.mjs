// A stand-in for the browser's WebSocket in node tests: the test opens it, closes it as the
// server would, and reads what the code under test sent (`sent`; decoded by `decodeSent`).
export class FakeSocket {
  static made = [];
  static decodeSent = null;

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.constructor.made.push(this);
  }

  open() { this.readyState = 1; this.onopen?.(); }
  send(bytes) { this.sent.push(this.constructor.decodeSent ? this.constructor.decodeSent(bytes) : bytes); }
  close(code = 1000) { this.serverClose(code); }
  serverClose(code) { this.readyState = 3; this.onclose?.({ code }); }
}
