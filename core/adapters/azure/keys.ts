/**
 * Table keys may not contain / \ # ? or control characters, and '%' in keys trips some services' URL
 * handling. Store and item ids are opaque, so they are encoded: [A-Za-z0-9_.-] as is, every other UTF-8
 * byte as "~XX". Ordinary ids ("1", "TX_3", "FOODS_3_090") stay readable, and "|" never appears in an
 * encoded key, which makes it a safe separator for composite keys.
 */
export function encodeKey(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9_.-]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeKey(key: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '~') {
      bytes.push(parseInt(key.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(key.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
