import type { FileStreamError } from '@streamspace/protocol';
import { ApiError } from '../errors.js';

const STATUS: Record<FileStreamError, number> = {
  path_outside_home: 400,
  not_found: 404,
  not_a_file: 400,
  not_a_directory: 400,
  permission_denied: 403,
  incomplete: 502,
  unsupported: 501,
  failed: 502,
};

/** The agent's refusal or failure as the API's error: its code and words, with the status it means. */
export function replyError(error: FileStreamError, message: string): ApiError {
  return new ApiError(STATUS[error], error, message);
}
