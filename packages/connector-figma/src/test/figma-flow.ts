/** The client the fake Figma knows. */
export const client = { clientId: 'figma-client-id', clientSecret: 'figma-client-secret' };
export const redirectUri = 'http://127.0.0.1:3000/oauth/callback';
