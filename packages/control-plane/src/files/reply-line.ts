import type { Duplex } from 'node:stream';

/**
 * Reads one `\n`-terminated line from `socket` (after the bytes in `head`), then leaves the socket
 * paused with what followed the line returned as `rest`, so the caller can unshift it and pipe.
 */
export function readReplyLine(
  socket: Duplex,
  head: Buffer,
  maxBytes: number,
  timeoutMs = 0,
): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = head;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => finish(new Error(`no answer from the agent within ${timeoutMs / 1000} s`)), timeoutMs)
        : undefined;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      socket.pause();
      if (error) return reject(error);
      const end = buffered.indexOf(0x0a);
      resolve({ line: buffered.subarray(0, end).toString('utf8'), rest: buffered.subarray(end + 1) });
    };
    const check = () => {
      if (buffered.indexOf(0x0a) >= 0) return finish();
      if (buffered.length > maxBytes) finish(new Error(`the agent's reply is longer than ${maxBytes} bytes`));
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      check();
    };
    const onClose = () => finish(new Error('the agent closed the file stream before answering'));
    const onError = (error: Error) => finish(error);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.resume(); // a 'data' listener alone does not restart a socket paused on purpose
    check();
  });
}
