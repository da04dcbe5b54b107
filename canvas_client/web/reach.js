// Where the room reaches this server (GET /api/reach): the base of links and QR
// codes handed out (not `localhost` when the page was opened on the server's own
// machine), and whether other devices can reach it at all.

let info = null;
let asked = null;

/** {base, loopback_only} from the server, asked once; null if it cannot say. */
export function reach() {
  if (!asked) {
    asked = fetch('/api/reach').then((r) => (r.ok ? r.json() : null)).catch(() => null).then((data) => {
      if (data && typeof data.base === 'string') info = data;
      return info;
    });
  }
  return asked;
}

/** The base of links to hand out (this page's origin until the server said). */
export function shareBase() {
  return info ? info.base : location.origin;
}
