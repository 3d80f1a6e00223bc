/**
 * The process a job runs in. `userData` is filled once by the server's setupFnc (prewarm) and
 * shared by every job of the process, e.g. a loaded VAD model.
 */
export class JobProcess<UserData extends Record<string, unknown> = Record<string, unknown>> {
  readonly pid = process.pid;
  userData: UserData = {} as UserData;
}
