// Which page of the lobby list to ask for: the filters (game, open seats only) and the
// cursors of the pages seen so far, so Previous returns to them (GET /api/lobbies pages by
// cursor, docs/api.md). Pure: no DOM, no fetch.

export const PAGE_SIZE = 25;

export class LobbyPager {
  constructor(pageSize = PAGE_SIZE) {
    this.pageSize = pageSize;
    this.game = '';
    this.openOnly = false;
    this.cursors = [null]; // the cursor of each page up to the current one (null: the first)
    this.next = null; // the current page's `next`, once it came
    this.total = 0;
    this.shown = 0;
  }

  /** The query of the current page, as URLSearchParams takes it. */
  params() {
    const out = { limit: String(this.pageSize) };
    if (this.game) out.game = this.game;
    if (this.openOnly) out.open = '1';
    const cursor = this.cursors[this.cursors.length - 1];
    if (cursor) out.cursor = cursor;
    return out;
  }

  /** Filters changed: back to the first page. */
  filter({ game = this.game, openOnly = this.openOnly } = {}) {
    this.game = game;
    this.openOnly = openOnly;
    this.cursors = [null];
    this.next = null;
  }

  /** A page came: remember where the next one starts. An empty page past the first (its
   * lobbies closed meanwhile) sends the pager back to the first page; answers whether to ask again. */
  received({ lobbies, total, next }) {
    this.next = next ?? null;
    this.total = total ?? lobbies.length;
    this.shown = lobbies.length;
    if (lobbies.length === 0 && this.cursors.length > 1) {
      this.cursors = [null];
      return true;
    }
    return false;
  }

  get hasNext() { return this.next !== null; }
  get hasPrevious() { return this.cursors.length > 1; }

  forward() {
    if (this.hasNext) this.cursors.push(this.next);
    this.next = null;
  }

  back() {
    if (this.hasPrevious) this.cursors.pop();
    this.next = null;
  }

  /** The rows shown, counted from 1: `{from, to, total}`. */
  range() {
    const from = this.shown ? (this.cursors.length - 1) * this.pageSize + 1 : 0;
    return { from, to: from ? from + this.shown - 1 : 0, total: this.total };
  }
}
