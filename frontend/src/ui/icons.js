// Small inline SVG icons, drawn in the text's colour: emoji such as 🏆 and 🔒 show as empty
// boxes on systems without an emoji font. The templates' copies: templates/game/icons/.
const SVG = 'http://www.w3.org/2000/svg';

export const ICON_PATHS = {
  trophy: 'M6 2h12v2h3v3.5A4.5 4.5 0 0 1 17 12a6 6 0 0 1-4 3.9V18h3v2.5H8V18h3v-2.1A6 6 0 0 1 7 12a4.5 4.5 0 0 1-4-4.5V4h3V2zm0 4H5v1.5a2.5 2.5 0 0 0 1.2 2.1A6 6 0 0 1 6 8V6zm12 0v2q0 .8-.2 1.6A2.5 2.5 0 0 0 19 7.5V6h-1z',
  lock: 'M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1zm2 0h6V7a3 3 0 0 0-6 0v3z',
  eye: 'M12 5c5 0 9 4.5 10 7-1 2.5-5 7-10 7S3 14.5 2 12c1-2.5 5-7 10-7zm0 3.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z',
};

/** An `<svg class="icon icon-<name>">` labelled `label` for screen readers (and as a tooltip). */
export function icon(name, label) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS(SVG, 'title');
  title.textContent = label;
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', ICON_PATHS[name]);
  svg.append(title, path);
  return svg;
}
