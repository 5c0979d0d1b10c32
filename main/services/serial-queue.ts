// Runs async operations one at a time, in call order. The project store is synchronous, but handlers await
// ffprobe and the file system in between store calls: serialising them keeps a close or an open from landing
// in the middle of an import or an edit.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(() => operation());
    // The next operation waits for this one whatever its outcome; the caller still sees the rejection.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
