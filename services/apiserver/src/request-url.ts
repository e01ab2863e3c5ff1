/**
 * The two parts of a request's URL the handlers read. WHATWG `URL` parsing (with the path split
 * after it) was about a twentieth of the server's time per Lease renewal, so a plain target (the
 * path every client sends) is split by hand. Anything a URL parser would rewrite (percent escapes,
 * dot segments, odd characters, a fragment, a leading `//` that names a host) still goes through
 * `URL`, so both ways give the same answer.
 */
export interface RequestUrl {
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

/** Characters that `URL` keeps as they are in a path: letters, digits, `-_.:/~@!$&'()*+,;=`. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-_.:/~@!$&'()*+,;=]*$/;
/** A query `URL` would not re-encode before URLSearchParams reads it the same way: printable ASCII, no `#`. */
const PLAIN_QUERY = /^[\x21-\x22\x24-\x7e]*$/;

/** Throws a TypeError (as `new URL` does) when the target is not a valid URL path. */
export function parseRequestUrl(target: string): RequestUrl {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  if (PLAIN_PATH.test(path) && !path.includes('/.') && !path.startsWith('//') && PLAIN_QUERY.test(query)) return { pathname: path, searchParams: new URLSearchParams(query) };
  return new URL(target, 'http://x');
}
