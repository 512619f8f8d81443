export { type GrantRoleParameters, type GrantRoleReturnType, grantRole } from "./grantRole.js";
export { type HasRoleParameters, type HasRoleReturnType, hasRole } from "./hasRole.js";
export { type RevokeRoleParameters, type RevokeRoleReturnType, revokeRole } from "./revokeRole.js";
export { type TeeTeeRole, teeTeeRoles } from "./roles.js";
