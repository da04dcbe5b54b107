// Fractional indexing for `z` (stacking order): keys compare as plain strings,
// a key can always be made between two others, and appending at the top grows
// the key only logarithmically. Base-62 keys with an integer head ("a0", "a1",
// ... "az", "b00", ...), the scheme the atelier template's keys follow.

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SMALLEST = 'A' + '0'.repeat(26);
const MAX_Z = 64;

function midpoint(a, b) {
  // a < b as fractions of digit strings; b === null means 1.
  if (b !== null) {
    let n = 0;
    while ((a[n] || '0') === b[n]) n += 1;
    if (n > 0) return b.slice(0, n) + midpoint(a.slice(n), b.slice(n));
  }
  const da = a ? DIGITS.indexOf(a[0]) : 0;
  const db = b !== null ? DIGITS.indexOf(b[0]) : DIGITS.length;
  if (db - da > 1) return DIGITS[Math.round(0.5 * (da + db))];
  if (b !== null && b.length > 1) return b.slice(0, 1);
  return DIGITS[da] + midpoint(a.slice(1), null);
}

function integerLength(head) {
  if (head >= 'a' && head <= 'z') return head.charCodeAt(0) - 97 + 2;
  if (head >= 'A' && head <= 'Z') return 90 - head.charCodeAt(0) + 2;
  throw new Error(`bad order key head ${head}`);
}

function integerPart(key) {
  const n = integerLength(key[0]);
  if (n > key.length) throw new Error(`bad order key ${key}`);
  return key.slice(0, n);
}

function validate(key) {
  if (key === SMALLEST) throw new Error('the smallest key');
  const i = integerPart(key);
  const f = key.slice(i.length);
  if (f.endsWith('0')) throw new Error(`bad order key ${key}`);
  for (const c of key) if (!DIGITS.includes(c)) throw new Error(`bad order key ${key}`);
}

function increment(x) {
  const [head, ...digs] = x.split('');
  let carry = true;
  for (let i = digs.length - 1; carry && i >= 0; i -= 1) {
    const d = DIGITS.indexOf(digs[i]) + 1;
    if (d === DIGITS.length) digs[i] = '0';
    else {
      digs[i] = DIGITS[d];
      carry = false;
    }
  }
  if (carry) {
    if (head === 'Z') return 'a0';
    if (head === 'z') return null;
    const h = String.fromCharCode(head.charCodeAt(0) + 1);
    if (h > 'a') digs.push('0');
    else digs.pop();
    return h + digs.join('');
  }
  return head + digs.join('');
}

function decrement(x) {
  const [head, ...digs] = x.split('');
  let borrow = true;
  for (let i = digs.length - 1; borrow && i >= 0; i -= 1) {
    const d = DIGITS.indexOf(digs[i]) - 1;
    if (d === -1) digs[i] = DIGITS[DIGITS.length - 1];
    else {
      digs[i] = DIGITS[d];
      borrow = false;
    }
  }
  if (borrow) {
    if (head === 'a') return 'Z' + DIGITS[DIGITS.length - 1];
    if (head === 'A') return null;
    const h = String.fromCharCode(head.charCodeAt(0) - 1);
    if (h < 'Z') digs.push(DIGITS[DIGITS.length - 1]);
    else digs.pop();
    return h + digs.join('');
  }
  return head + digs.join('');
}

function strictBetween(a, b) {
  if (a !== null) validate(a);
  if (b !== null) validate(b);
  if (a !== null && b !== null && a >= b) throw new Error(`${a} >= ${b}`);
  if (a === null) {
    if (b === null) return 'a0';
    const ib = integerPart(b);
    const fb = b.slice(ib.length);
    if (ib === SMALLEST) return ib + midpoint('', fb);
    if (ib < b) return ib;
    const res = decrement(ib);
    if (res === null) throw new Error('cannot go lower');
    return res;
  }
  if (b === null) {
    const ia = integerPart(a);
    const fa = a.slice(ia.length);
    const i = increment(ia);
    return i === null ? ia + midpoint(fa, null) : i;
  }
  const ia = integerPart(a);
  const fa = a.slice(ia.length);
  const ib = integerPart(b);
  const fb = b.slice(ib.length);
  if (ia === ib) return ia + midpoint(fa, fb);
  const i = increment(ia);
  if (i === null) throw new Error('cannot go higher');
  return i < b ? i : ia + midpoint(fa, null);
}

/** A key sorting strictly between a and b (either may be null: open end).
 * Keys written by other clients may not follow the scheme; then a plain
 * string between them is made instead. */
export function keyBetween(a, b) {
  try {
    const key = strictBetween(a, b);
    if (key.length <= MAX_Z) return key;
  } catch { /* a foreign key: fall through */ }
  if (a === null && b === null) return 'a0';
  if (a === null) return b > '0' ? '0' + b.slice(1, MAX_Z - 1) : b.slice(0, MAX_Z - 1);
  const up = (a + 'V').slice(0, MAX_Z);
  return b === null || up < b ? up : a;
}

/** `n` keys above `top` (null: the board is empty), in increasing order. */
export function keysAbove(top, n) {
  const keys = [];
  let last = top;
  for (let i = 0; i < n; i += 1) {
    last = keyBetween(last, null);
    keys.push(last);
  }
  return keys;
}
