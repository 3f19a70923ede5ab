// How players tell each other apart without relying on colour alone: a palette that stays
// distinct for colour-blind eyes (Okabe and Ito's eight colours, ordered so the first players
// get the most different ones, black swapped for near-white on the dark floor), and a mark
// that goes with each colour: the number drawn on the player, on the scoreboard and in the HUD.

export const PLAYER_COLOURS = Object.freeze(['#56b4e9', '#d55e00', '#f0e442', '#0072b2', '#cc79a7', '#e69f00', '#009e73', '#f5f5f5']);
export const PLAYER_MARKS = Object.freeze(['1', '2', '3', '4', '5', '6', '7', '8']);

/** The mark that goes with a palette colour ('?' for a colour not in it). */
export function markFor(colour) {
  const index = PLAYER_COLOURS.indexOf(colour);
  return index < 0 ? '?' : PLAYER_MARKS[index];
}

function channel(hex) {
  const c = Number.parseInt(hex, 16) / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of a `#rrggbb` colour. */
export function luminance(colour) {
  const [r, g, b] = [1, 3, 5].map((i) => channel(colour.slice(i, i + 2)));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever reads better on `colour`: for a mark written on it. */
export function inkFor(colour) {
  return contrast(colour, '#000000') >= contrast(colour, '#ffffff') ? '#000000' : '#ffffff';
}

/** Write a colour's mark centred at (x, y), `size` px high, in the ink that reads on it. */
export function drawMark(ctx, colour, x, y, size) {
  ctx.font = `800 ${size}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = inkFor(colour);
  ctx.fillText(markFor(colour), x, y + size * 0.06);
}

/** A disc in the colour with its mark on it, radius `r`: a badge beside a score drawn in the world. */
export function drawBadge(ctx, colour, x, y, r) {
  ctx.fillStyle = colour;
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = 'rgba(0, 0, 0, 0.6)';
  ctx.lineWidth = 2;
  ctx.stroke();
  drawMark(ctx, colour, x, y, r * 1.3);
}
