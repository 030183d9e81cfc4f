import { describe, expect, it } from 'vitest';
import { DEFAULT_DAYS, STORAGE_KEY, initialState, matchesSearch, parseUrl, remember, remembered, resolveSelection, toQuery, toggleStore } from '../../static-web/src/state';

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string): string | null {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.data.set(k, v);
  }
}

describe('URL and filter state', () => {
  it('reads stores, days and view from the query', () => {
    expect(parseUrl('?stores=1,2,2,%20TX_3&days=14&view=transport')).toEqual({ selection: ['1', '2', 'TX_3'], days: 14, view: 'transport', invalid: [] });
    expect(parseUrl('?stores=all')).toMatchObject({ selection: 'all' });
    expect(parseUrl('')).toEqual({ invalid: [] });
  });

  it('drops malformed store ids and bad values, reporting the ids', () => {
    const parsed = parseUrl("?stores=1,'%20OR%201=1,../x&days=0&view=admin");
    expect(parsed.selection).toEqual(['1']);
    expect(parsed.invalid).toEqual(["' OR 1=1", '../x']);
    expect(parsed.days).toBeUndefined();
    expect(parsed.view).toBeUndefined();
  });

  it('treats /stores/{id} as a link to one store', () => {
    expect(parseUrl('', '/stores/7').selection).toEqual(['7']);
    expect(parseUrl('?stores=3', '/stores/7').selection).toEqual(['3']);
  });

  it('writes short, shareable queries that read back the same', () => {
    const state = { selection: ['1', 'TX_3'], days: 14, view: 'transport' as const };
    expect(toQuery(state)).toBe('?stores=1,TX_3&days=14&view=transport');
    expect(initialState(parseUrl(toQuery(state)), {})).toEqual(state);
    expect(toQuery({ selection: 'all', days: DEFAULT_DAYS, view: 'stores' })).toBe('?stores=all');
    expect(toQuery({ selection: [], days: DEFAULT_DAYS, view: 'stores' })).toBe('');
  });

  it('remembers the view between visits; the address wins over memory', () => {
    const storage = new MemoryStorage();
    remember(storage, { selection: ['4'], days: 7, view: 'transport' });
    expect(remembered(storage)).toEqual({ selection: ['4'], days: 7, view: 'transport' });
    expect(initialState(parseUrl('?stores=2'), remembered(storage))).toEqual({ selection: ['2'], days: 7, view: 'transport' });
    expect(initialState(parseUrl(''), {})).toEqual({ selection: 'all', days: DEFAULT_DAYS, view: 'stores' });
    storage.setItem(STORAGE_KEY, '{not json');
    expect(remembered(storage)).toEqual({});
    storage.setItem(STORAGE_KEY, JSON.stringify({ selection: ['ok', 'bad id'], days: 'x' }));
    expect(remembered(storage)).toEqual({ selection: ['ok'] });
    const throwing = { getItem: () => null, setItem: () => { throw new Error('quota'); } };
    expect(() => remember(throwing, { selection: [], days: 7, view: 'stores' })).not.toThrow();
  });

  it('keeps only the stores the viewer may see, reporting the others', () => {
    const visible = ['10', '2', '1'];
    expect(resolveSelection(['2', '99', '10'], visible)).toEqual({ stores: ['2', '10'], unavailable: ['99'], truncated: false });
    expect(resolveSelection('all', visible)).toEqual({ stores: ['1', '2', '10'], unavailable: [], truncated: false });
    expect(resolveSelection('all', visible, 2)).toEqual({ stores: ['1', '2'], unavailable: [], truncated: true });
  });

  it('toggles stores, expanding "all" first', () => {
    expect(toggleStore('all', ['1', '2', '3'], '2', false)).toEqual(['1', '3']);
    expect(toggleStore(['3'], ['1', '2', '3'], '1', true)).toEqual(['1', '3']);
    expect(toggleStore(['3', 'gone'], ['1', '3'], '3', false)).toEqual([]);
  });

  it('searches stores by id, name and region', () => {
    const s = { store: '7', name: 'Harbour', region: 'North' };
    expect(matchesSearch(s, 'harb')).toBe(true);
    expect(matchesSearch(s, 'north')).toBe(true);
    expect(matchesSearch(s, 'store 7')).toBe(true);
    expect(matchesSearch(s, 'south')).toBe(false);
    expect(matchesSearch(s, '  ')).toBe(true);
  });
});
