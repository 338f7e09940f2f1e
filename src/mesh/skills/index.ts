// Public surface of the skills module: validation, promotion into the hub's
// library, installation into a node's library, recovery and listing.
export {
  DEFAULT_SKILL_LIMITS,
  SKILL_NAME_PATTERN,
  isValidSkillName,
  parseSkillMd,
  skillContentHash,
  type SkillFrontMatter,
  type SkillLimits,
  type SkillMeta,
} from './skill-manifest.js';
export { promoteSkill, type PromoteOptions, type PromoteResult, type PromoteStep } from './skill-promote.js';
export { installSkill, type InstallOptions, type InstallResult } from './skill-install.js';
export { recoverPromotions, type RecoveryReport } from './skill-recover.js';
export type { KeptFolder } from './skill-keep.js';
export {
  currentPath,
  listSkills,
  listVersions,
  readSkillFiles,
  readSkillMeta,
  readVerifiedCopy,
  verifySkillCopy,
  type SkillFile,
  type SkillSummary,
} from './skill-library.js';
export { scanSessionSkill, type SkillSource } from './skill-scan.js';
