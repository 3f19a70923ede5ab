// What the browser remembers: the nickname (localStorage, for every visit), and per lobby
// code in this tab (sessionStorage) the host token of a lobby it created and the resume
// token of its seat (so a reload or a reconnect takes the same seat back).
import { MAX_NAME_CHARS } from './protocol.js';

const NICKNAME_KEY = 'nickname';
const tokenKey = (code) => `host_token:${code.toUpperCase()}`;
const resumeKey = (code) => `resume:${code.toUpperCase()}`;

function safely(fn, fallback = null) {
  try {
    return fn();
  } catch {
    return fallback; // storage can be disabled (privacy modes); the game works without it
  }
}

export function getNickname() {
  return safely(() => localStorage.getItem(NICKNAME_KEY), '') ?? '';
}

export function setNickname(name) {
  const clean = name.trim().slice(0, MAX_NAME_CHARS);
  safely(() => (clean ? localStorage.setItem(NICKNAME_KEY, clean) : localStorage.removeItem(NICKNAME_KEY)));
  return clean;
}

export function getHostToken(code) {
  return safely(() => sessionStorage.getItem(tokenKey(code)));
}

export function setHostToken(code, token) {
  safely(() => sessionStorage.setItem(tokenKey(code), token));
}

export function getResumeToken(code) {
  return safely(() => sessionStorage.getItem(resumeKey(code)));
}

export function setResumeToken(code, token) {
  safely(() => sessionStorage.setItem(resumeKey(code), token));
}
