/**
 * Credentials the twin's miners expect, as the firmware ships them: Antminer web UI
 * root/root (HTTP Digest), Whatsminer API password "admin". Tests override them.
 */
export interface TwinSecrets {
  antminerWeb: { username: string; password: string };
  whatsminerPassword: string;
}

export const DEFAULT_SECRETS: TwinSecrets = {
  antminerWeb: { username: 'root', password: 'root' },
  whatsminerPassword: 'admin',
};
