import { posix } from 'node:path';
import { SESSION_HOME } from '@streamspace/protocol';

export type HomePath = { ok: true; path: string } | { ok: false; problem: string };

const inHome = (path: string) => path === SESSION_HOME || path.startsWith(`${SESSION_HOME}/`);

/**
 * A `path` query parameter as an absolute path inside the session user's home, or the problem with
 * it in words. Relative paths are taken from the home; absolute ones must lie under it. This is
 * the lexical check only: a symlink can be resolved only inside the session, which the agent does
 * before it touches anything (agent/src/files/file-scripts.ts).
 */
export function homePath(raw: string | undefined, options: { emptyIsHome: boolean }): HomePath {
  const given = raw ?? '';
  if (given.includes('\0')) return { ok: false, problem: 'path contains a NUL byte' };
  if (given.length > 4096) return { ok: false, problem: 'path is longer than 4096 characters' };
  if (given === '' || given === '.' || given === '/' + '.') {
    if (given === '' && !options.emptyIsHome)
      return { ok: false, problem: `path is required: a file's path relative to the home (${SESSION_HOME})` };
  }
  const absolute = given.startsWith('/');
  const resolved = posix.normalize(absolute ? given : `${SESSION_HOME}/${given}`).replace(/(.)\/+$/, '$1');
  if (inHome(resolved)) return { ok: true, path: resolved };
  const climbs = given.split('/').includes('..');
  if (climbs)
    return {
      ok: false,
      problem: `path ${JSON.stringify(given)} uses .. to leave the home (${SESSION_HOME}); paths must stay inside it`,
    };
  return {
    ok: false,
    problem: `path ${JSON.stringify(given)} is absolute and outside the home (${SESSION_HOME}); give a path relative to the home`,
  };
}
