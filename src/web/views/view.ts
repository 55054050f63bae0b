/** What the router gives a view. */
export interface ViewContext {
  /** Aborted when the user navigates away: views stop their requests, streams and timers on it. */
  signal: AbortSignal;
  /** Sets `document.title` (the page name is appended). */
  setTitle(title: string): void;
  /** Renders the current route again from scratch (after an action that restarts what it shows). */
  rerender(): void;
}
