// What the browser remembers: the nickname (localStorage, for every visit), per lobby code in
// this tab (sessionStorage) the host token of a lobby it created, and the resume token of each
// seat, in this tab and for the whole browser (localStorage), so that a reload, a reconnect or
// the lobby's link opened again in a new tab takes the same seat back.
import { MAX_NAME_CHARS } from './protocol.js';

const NICKNAME_KEY = 'nickname';
const tokenKey = (code) => `host_token:${code.toUpperCase()}`;
const resumeKey = (code, role) => `resume:${code.toUpperCase()}:${role}`;

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

const SEATS_KEY = 'seats';
const MAX_SEATS = 20; // the newest seats this browser remembers, across lobbies
const seatKey = (code, role) => `${code.toUpperCase()}:${role}`;

function browserSeats() {
  const seats = safely(() => JSON.parse(localStorage.getItem(SEATS_KEY) ?? '{}'), {});
  return seats && typeof seats === 'object' && !Array.isArray(seats) ? seats : {};
}

/** The resume token of this tab's seat in lobby `code` as `role`, else of the seat this browser
 * last held there (another tab, or one closed since): the server gives that seat back. */
export function getResumeToken(code, role = 'player') {
  return safely(() => sessionStorage.getItem(resumeKey(code, role)))
    ?? browserSeats()[seatKey(code, role)]?.token ?? null;
}

export function setResumeToken(code, role, token) {
  safely(() => sessionStorage.setItem(resumeKey(code, role), token));
  const seats = { ...browserSeats(), [seatKey(code, role)]: { token, at: Date.now() } };
  const newest = Object.entries(seats).sort(([, a], [, b]) => (b?.at ?? 0) - (a?.at ?? 0)).slice(0, MAX_SEATS);
  safely(() => localStorage.setItem(SEATS_KEY, JSON.stringify(Object.fromEntries(newest))));
}
