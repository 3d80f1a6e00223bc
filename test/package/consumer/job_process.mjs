// A JavaScript agent, run as npm users run a compiled one: its jobs in job processes (ProcessPool),
// in a project that has tsx installed. The job process must not need it (it loads no tsx for a
// JavaScript module), and its job must run: the report says where.
import { AgentServer, ProcessPool } from 'voxstate';

const server = new AgentServer();
server.rtcSession(async (ctx) => {
  await ctx.connect();
  ctx.shutdown(`ran in pid ${process.pid} with loaders [${process.execArgv.join(' ')}]`);
});

if (process.argv[2] === 'run') {
  const pool = new ProcessPool(server, { room: 'local', numIdleProcesses: 0, env: { LOG_LEVEL: 'silent' } });
  await pool.start();
  const info = {
    job: { id: 'job-1', dispatchId: 'job-1', type: 'room', roomName: 'room-1', roomSid: 'RM', metadata: '', agentName: '', participantIdentity: undefined, attributes: {} },
    acceptArguments: { identity: 'agent', name: 'agent', metadata: '', attributes: {} },
    url: 'ws://127.0.0.1:1',
    token: 'package-test',
    workerId: 'W',
  };
  const handle = await pool.launch(info);
  const end = await handle.ended;
  await pool.close('done');
  console.log(JSON.stringify({ parent: process.pid, end }));
}
