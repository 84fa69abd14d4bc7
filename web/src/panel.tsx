import type { ReactNode } from 'react';
import type { QueryState } from './api.js';

interface PanelProps<Result> {
  /** Stable name: `data-panel` in the DOM. */
  id: string;
  title: string;
  subtitle?: string;
  query: Pick<QueryState<Result>, 'data' | 'error' | 'loading'>;
  wide?: boolean;
  /** Shown in the header beside the title (e.g. a live indicator). */
  status?: ReactNode;
  children: (data: Result) => ReactNode;
}

/**
 * A dashboard card with its loading and error states: `data-state` is `loading` until the
 * answer for the current controls arrives, `error` when it failed, `ready` otherwise. While
 * new variables load, the previous answer stays visible, dimmed.
 */
export function Panel<Result>({ id, title, subtitle, query, wide, status, children }: PanelProps<Result>) {
  const state = query.error ? 'error' : query.loading ? 'loading' : 'ready';
  return (
    <section
      className={`panel${wide ? ' wide' : ''}`}
      data-panel={id}
      data-state={state}
      aria-busy={query.loading}
      aria-labelledby={`${id}-title`}
    >
      <header className="panel-header">
        <h2 id={`${id}-title`}>{title}</h2>
        {subtitle ? <span className="panel-subtitle">{subtitle}</span> : null}
        {status}
        {query.loading && !query.error ? (
          <span className="spinner" role="status">
            Loading…
          </span>
        ) : null}
      </header>
      {query.error ? (
        <p className="panel-error" role="alert">
          Could not load: {query.error.message}
        </p>
      ) : query.data === undefined ? (
        <div className="panel-placeholder" />
      ) : (
        <div className={query.loading ? 'panel-body stale' : 'panel-body'}>{children(query.data)}</div>
      )}
    </section>
  );
}

interface StatProps {
  label: string;
  value: string;
  testId: string;
  hint?: string;
}

/** One labelled number; `data-testid` is what the browser test reads. */
export function Stat({ label, value, testId, hint }: StatProps) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
      {hint ? <span className="stat-hint">{hint}</span> : null}
    </div>
  );
}
