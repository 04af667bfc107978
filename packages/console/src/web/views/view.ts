/** A page section the shell shows in a tab panel. */
export interface View {
  readonly element: HTMLElement;
  /** Called each time its tab is shown. */
  show?(): void;
  /** Called on sign-out: stop timers and streams. */
  dispose?(): void;
}

/** What views may ask of the shell. */
export interface ViewContext {
  /** Shows the user view for this user id. */
  openUser(userId: string): void;
  /** Says something to screen-reader users (polite live region). */
  announce(message: string): void;
}
