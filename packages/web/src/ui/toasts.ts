import { notifications } from '@mantine/notifications';

/**
 * Toasts. An error toast carries the server's own message (api() throws ApiError with it), so the
 * user reads what the API said was wrong and what to do, not a generic "something failed".
 */
/** Mantine's close button has no name of its own; a screen reader would announce just "button". */
const CLOSE = { 'aria-label': 'Dismiss message' };

export function toastError(error: unknown, title = 'That did not work'): void {
  const message = error instanceof Error ? error.message : String(error);
  notifications.show({ color: 'red', title, message, autoClose: 10_000, withBorder: true, closeButtonProps: CLOSE });
}

export function toastSuccess(message: string): void {
  notifications.show({ color: 'green', message, autoClose: 4000, closeButtonProps: CLOSE });
}

/** Runs an action, and shows its failure as a toast (the caller's UI stays as it was). */
export async function withErrorToast<T>(action: () => Promise<T>, title?: string): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    toastError(error, title);
    return undefined;
  }
}
