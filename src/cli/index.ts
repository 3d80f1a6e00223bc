export { runApp, type RunAppOptions } from './run_app.js';
