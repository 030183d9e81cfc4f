import { describe, expect, it } from 'vitest';
import type { DriverMarker } from '../../static-web/src/api';
import { closedDays, eventsOn, markerPhrase, markersByDay, markersInWindow, markerText, promotionDays } from '../../static-web/src/markers';
import { SAMPLE_MARKERS } from './fixtures';

describe('driver markers', () => {
  it('keeps the markers of the window, sorted by date then kind, and copes with a backend without them', () => {
    const shuffled: DriverMarker[] = [SAMPLE_MARKERS[3]!, { date: '2017-07-02', kind: 'event', label: 'Fair' }, SAMPLE_MARKERS[0]!, SAMPLE_MARKERS[1]!];
    expect(markersInWindow({ markers: shuffled }, '2017-07-02', '2017-07-06').map((m) => `${m.date} ${m.kind}`)).toEqual(['2017-07-02 closed', '2017-07-02 event', '2017-07-04 event']);
    expect(markersInWindow({}, '2017-07-01', '2017-07-28')).toEqual([]);
    expect(markersInWindow(null, '2017-07-01', '2017-07-28')).toEqual([]);
    expect(markersInWindow({ markers: [{ date: '2017-07-03', kind: 'weather', label: 'Rain' } as unknown as DriverMarker] }, '2017-07-01', '2017-07-28')).toEqual([]);
  });

  it('says what each marker means, as the planner reads it', () => {
    const [closed, event, someItems, allItems] = SAMPLE_MARKERS as [DriverMarker, DriverMarker, DriverMarker, DriverMarker];
    expect(markerText(closed, 3, 'en-GB')).toBe('Sun 2 Jul: Closed');
    expect(markerText(event, 3, 'en-GB')).toBe('Tue 4 Jul: Independence Day');
    expect(markerText(someItems, 3, 'en-GB')).toBe('Thu 6 Jul: Promotion (1 item)');
    expect(markerText(allItems, 3, 'en-GB')).toBe('Fri 7 Jul: Summer sale (all items)');
    expect(markerPhrase({ date: '2017-12-24', kind: 'promotion', label: 'Promotion', items: Array.from({ length: 12 }, (_, i) => String(i)) }, 40)).toBe('Promotion (12 items)');
    expect(markerPhrase({ date: '2017-12-27', kind: 'closed', label: ' ' })).toBe('Closed');
  });

  it('groups a day with several markers into one text', () => {
    const days = markersByDay([{ date: '2017-12-25', kind: 'event', label: 'Christmas Day' }, { date: '2017-12-25', kind: 'closed', label: 'Christmas Day' }, SAMPLE_MARKERS[2]!], 3, 'en-GB');
    expect(days.map((d) => d.date)).toEqual(['2017-07-06', '2017-12-25']);
    expect(days[1]).toMatchObject({ kinds: ['closed', 'event'], text: 'Mon 25 Dec: Christmas Day; Christmas Day' });
  });

  it('finds the closed days, the promotion days of an item and the events of a day', () => {
    expect([...closedDays(SAMPLE_MARKERS)]).toEqual(['2017-07-02']);
    expect([...promotionDays(SAMPLE_MARKERS, '2')]).toEqual(['2017-07-06', '2017-07-07']);
    expect([...promotionDays(SAMPLE_MARKERS, '1')]).toEqual(['2017-07-07']); // the store-wide sale only
    expect(eventsOn(SAMPLE_MARKERS, '2017-07-04')).toEqual(['Independence Day']);
    expect(eventsOn(SAMPLE_MARKERS, '2017-07-05')).toEqual([]);
  });
});
