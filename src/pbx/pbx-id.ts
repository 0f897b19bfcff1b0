// A PBX's id (src/pbx/pbxes.ts): what calls, legs and users carry (pbx_id) and the API's `pbx` filter takes.

/** The PBX of CTI_AMI_*: every deployment has it; everything stored before several PBXs existed is its. */
export const MAIN_PBX = 'main';
/** lower-case letters, digits, - and _, at most 32. */
export const PBX_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
