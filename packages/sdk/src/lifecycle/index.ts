export { type Built, type CloseReason, Phases, type PhasesParameters } from "./Phases.js";
