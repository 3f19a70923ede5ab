// The chat box and the lobby's log: chat lines and system lines (joins, kicks, the game's events).
// Chat text comes from other people: it is only ever set with textContent, never as HTML.
import { t } from '../i18n.js';
import { MAX_CHAT_CHARS } from '../protocol.js';
import { el } from './dom.js';
import { icon } from './icons.js';

const MAX_LINES = 200;

export class Chat {
  /** `send(text)` returns false when the text could not be sent (not connected). */
  constructor({ log, form, send }) {
    Object.assign(this, { log, form, send });
    this.input = form.querySelector('input');
    this.input.maxLength = MAX_CHAT_CHARS;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (text && this.send(text)) this.input.value = '';
    });
  }

  /** A chat line: `{name, role, text}`; `own` marks the reader's own lines. */
  chat({ name, role, text }, own = false) {
    this.append(el('li', { className: own ? 'chat own' : 'chat' },
      el('span', { className: `who role-${role}`, textContent: name }, ...(role === 'spectator' ? [' ', icon('eye', t('chat.spectator_icon'))] : [])),
      el('span', { className: 'text', textContent: text })));
  }

  /** A line from the game or the lobby itself. */
  system(text, kind = 'system') {
    this.append(el('li', { className: kind, textContent: text }));
  }

  append(li) {
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 30;
    this.log.append(li);
    while (this.log.children.length > MAX_LINES) this.log.firstElementChild.remove();
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }
}
