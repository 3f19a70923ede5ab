// The browser finds '@msgpack/msgpack' through the page's import map; node is told here.
// Test files import this first, then load the client's modules with dynamic import().
import { register } from 'node:module';

const vendored = new URL('../../static/vendor/msgpack/index.mjs', import.meta.url).href;
register(`data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@msgpack/msgpack') return { url: ${JSON.stringify(vendored)}, shortCircuit: true };
  return next(specifier, context);
}`)}`);
