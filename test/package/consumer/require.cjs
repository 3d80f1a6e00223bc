// A CommonJS program: require() of the ESM package (Node >= 20.19 loads ES modules synchronously).
const voxstate = require('voxstate');
const testing = require('voxstate/testing');
console.log(JSON.stringify({ AgentSession: typeof voxstate.AgentSession, FakeLLM: typeof testing.FakeLLM }));
