/**
 * Table keys and blob folders: `encodeKey` lives in the domain (core/domain/store-pointers.ts), which checks
 * pointers against it; "~XX" is one UTF-8 byte of a character outside [A-Za-z0-9_.-].
 */
export { encodeKey } from '../../domain/store-pointers.js';

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
