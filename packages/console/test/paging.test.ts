import { describe, expect, it } from 'vitest';
import {
  currentCursor,
  firstPage,
  hasNextPage,
  hasPreviousPage,
  nextPage,
  previousPage,
  withNextCursor,
} from '../src/web/lib/paging.js';

describe('keyset paging state', () => {
  it('starts on page 0 with no cursor and no way forward or back', () => {
    const state = firstPage();
    expect(currentCursor(state)).toBeNull();
    expect(hasNextPage(state)).toBe(false);
    expect(hasPreviousPage(state)).toBe(false);
    expect(nextPage(state)).toBe(state);
    expect(previousPage(state)).toBe(state);
  });

  it('walks forward with the server cursors and back to exactly the cursors used', () => {
    let state = withNextCursor(firstPage(), 'c1');
    expect(hasNextPage(state)).toBe(true);
    state = nextPage(state);
    expect(state.page).toBe(1);
    expect(currentCursor(state)).toBe('c1');
    expect(hasNextPage(state)).toBe(false);
    state = nextPage(withNextCursor(state, 'c2'));
    expect(currentCursor(state)).toBe('c2');
    state = withNextCursor(state, null);
    expect(hasNextPage(state)).toBe(false);

    state = previousPage(state);
    expect(state.page).toBe(1);
    expect(currentCursor(state)).toBe('c1');
    expect(hasNextPage(state)).toBe(true);
    state = previousPage(state);
    expect(currentCursor(state)).toBeNull();
    expect(hasPreviousPage(state)).toBe(false);
  });

  it('forgets the pages after the current one when a different next cursor comes back', () => {
    let state = nextPage(withNextCursor(firstPage(), 'c1'));
    state = nextPage(withNextCursor(state, 'c2'));
    state = previousPage(previousPage(state));
    state = nextPage(withNextCursor(state, 'c1-new'));
    expect(state.cursors).toEqual([null, 'c1-new']);
  });
});
