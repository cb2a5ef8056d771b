import { SESSION_HOME, type FileStreamError } from '@streamspace/protocol';

/**
 * The shell each file operation runs in the session, as the session user, so the kernel applies
 * the user's own rights and symlinks are resolved where they live. Every script first resolves the
 * path with `realpath -m` (GNU coreutils, in every session image) and refuses one that ends up
 * outside the home, which catches a symlink pointing out of it; the control plane has already
 * refused `..` and absolute paths that leave it. Problems go to stderr as `code: words` with an
 * exit status from EXIT_CODES.
 */
const RESOLVE = `
set -u
home='${SESSION_HOME}'
fail() { printf '%s\\n' "$2" >&2; exit "$1"; }
p=$(realpath -m -- "$1" 2>/dev/null) || fail 3 "$1 cannot be resolved"
case "$p" in "$home"|"$home"/*) ;; *) fail 3 "$1 leads through a symlink to $p, outside the home $home";; esac
`;

/** list: `ready`, then `type \\t size \\t mtime \\t name \\0` per entry, at most LIST_LIMIT + 1. */
export const LIST_LIMIT = 10_000;
const LIST = `${RESOLVE}
[ -e "$p" ] || fail 4 "$1 does not exist"
[ -d "$p" ] || fail 6 "$1 is not a directory"
[ -r "$p" ] && [ -x "$p" ] || fail 7 "$1 cannot be read by the session user"
echo ready
cd -- "$p" && find . -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%T@\\t%f\\0' | head -z -n ${LIST_LIMIT + 1}
`;

/** read: `ready <size>`, then the file's bytes. */
const READ = `${RESOLVE}
[ -e "$p" ] || fail 4 "$1 does not exist"
[ -f "$p" ] || fail 5 "$1 is not a regular file"
[ -r "$p" ] || fail 7 "$1 cannot be read by the session user"
printf 'ready %s\\n' "$(stat -c %s -- "$p")"
exec cat -- "$p"
`;

/**
 * write: reads exactly $2 bytes into a temporary file beside the target (same filesystem, so the
 * rename is atomic), and renames it over the target only when all of them came. Early end of input
 * (the upload was cancelled or cut) or any signal removes the temporary file: no partial file is
 * ever left under the target's name or any other. \`head -c\` stops at the size by itself, so end
 * of input is never needed (Kubernetes exec cannot always signal it).
 */
const WRITE = `${RESOLVE}
[ "$p" != "$home" ] || fail 5 "$1 is the home itself; name a file in it"
dir=$(dirname -- "$p")
[ -d "$dir" ] || fail 4 "the folder $(dirname -- "$1") does not exist"
[ ! -d "$p" ] || fail 5 "$1 is a directory"
tmp=$(mktemp -- "$dir/.upload.XXXXXXXXXX" 2>/dev/null) || fail 7 "the session user cannot write in $(dirname -- "$1")"
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE
echo ready
head -c "$2" > "$tmp" || fail 8 "writing $1 failed"
[ "$(stat -c %s -- "$tmp")" = "$2" ] || fail 9 "the upload ended after $(stat -c %s -- "$tmp") of $2 bytes; nothing was kept"
chmod 644 -- "$tmp" && mv -f -- "$tmp" "$p" || fail 8 "$1 could not be put in place"
echo "done $2"
`;

export const EXIT_CODES: Record<number, FileStreamError> = {
  3: 'path_outside_home',
  4: 'not_found',
  5: 'not_a_file',
  6: 'not_a_directory',
  7: 'permission_denied',
  8: 'failed',
  9: 'incomplete',
};

export function listCommand(path: string): string[] {
  return ['sh', '-c', LIST, 'list', path];
}
export function readCommand(path: string): string[] {
  return ['sh', '-c', READ, 'read', path];
}
export function writeCommand(path: string, size: number): string[] {
  return ['sh', '-c', WRITE, 'write', path, String(size)];
}
