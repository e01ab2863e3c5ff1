import type { FuncMap } from "./compile.ts"; export const sprigFuncs: FuncMap = {};
