/**
 * Keyset paging state for a newest-first list: the cursor that fetched each page
 * seen so far (page 0 has none), the page shown, and the next cursor the server
 * returned for it. "Previous" goes back to a cursor already used, so it needs no
 * reverse query and shows exactly the rows seen before.
 */
export interface PagingState {
  readonly cursors: readonly (string | null)[];
  readonly page: number;
  readonly nextCursor: string | null;
}

/** The state before the first page is fetched (also: after the filters change). */
export function firstPage(): PagingState {
  return { cursors: [null], page: 0, nextCursor: null };
}

/** The cursor to fetch the current page with. */
export function currentCursor(state: PagingState): string | null {
  return state.cursors[state.page] ?? null;
}

/** Records the `nextCursor` the server returned for the current page. */
export function withNextCursor(state: PagingState, nextCursor: string | null): PagingState {
  return { ...state, nextCursor };
}

/** Whether there is a page after the current one. */
export function hasNextPage(state: PagingState): boolean {
  return state.nextCursor !== null;
}

/** Whether there is a page before the current one. */
export function hasPreviousPage(state: PagingState): boolean {
  return state.page > 0;
}

/** Moves to the next page; unchanged when there is none. */
export function nextPage(state: PagingState): PagingState {
  if (state.nextCursor === null) return state;
  return {
    cursors: [...state.cursors.slice(0, state.page + 1), state.nextCursor],
    page: state.page + 1,
    nextCursor: null,
  };
}

/** Moves to the previous page; its next cursor is known again once it is re-fetched. */
export function previousPage(state: PagingState): PagingState {
  if (state.page === 0) return state;
  return { cursors: state.cursors, page: state.page - 1, nextCursor: state.cursors[state.page] ?? null };
}
