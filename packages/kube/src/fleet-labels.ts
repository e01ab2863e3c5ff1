/** Label on every Node a virtsim agent manages; its value is the node pool's name. */
export const POOL_LABEL = 'virtsim.io/pool';
/** KWOK's marker for fake nodes, set too so KWOK-aware tools recognise ours. */
export const FAKE_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
