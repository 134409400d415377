export { type Config, ConfigError, loadConfig, parsePools, timings } from './config/config.ts';
export { type RunningAgent, startAgent } from './main.ts';
