export { startControlPlane, COMPONENTS, type Component, type ControlPlaneOptions, type RunningControlPlane } from './control-plane.ts';
export { runControlPlaneCli } from './cli.ts';
export { Scheduler } from './scheduler/scheduler.ts';
