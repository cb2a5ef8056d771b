import type { Session } from '../api.js';

/**
 * Start-up progress as the agent reports it: the step, its message, and a bar — measured when the
 * agent gives current/total (image bytes pulled), indeterminate while a step has no measure.
 */
export function SessionProgress({ session }: { session: Session }) {
  const starting = session.state === 'pending' || session.state === 'starting';
  const progress = session.progress;
  const text = progress?.message ?? session.state_reason ?? '';
  if (!starting) return <span className="reason">{text}</span>;
  const measured = progress?.total !== undefined && progress.total > 0 && progress.current !== undefined;
  return (
    <span className="reason progress" data-step={progress?.step ?? 'waiting'}>
      {progress?.step && <span className="step">{progress.step}</span>} {text}
      <progress
        aria-label="start-up progress"
        {...(measured ? { value: Math.min(progress.current!, progress.total!), max: progress.total } : {})}
      />
    </span>
  );
}
