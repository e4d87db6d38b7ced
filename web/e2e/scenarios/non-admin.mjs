// (c) A member who is not an admin sees no Admin settings, and the server refuses them anyway.
import { equal, ok } from '../lib/assert.mjs';
import { closeSettings, openSettings, rpcFromPage, signIn, signOut, signUp } from '../lib/ui.mjs';

const adminRpcs = [
  ['/memoria.v1.SystemSettingService/GetSystemSetting', {}],
  ['/memoria.v1.SystemSettingService/UpdateSystemSetting', { setting: { allowSignUp: true }, updateMask: 'allowSignUp' }],
  ['/memoria.v1.UserService/ListUsers', {}],
  ['/memoria.v1.UserService/CreateUser', { user: { username: 'mallory', password: 'mallory-password' } }],
  ['/memoria.v1.BotService/GetBotStatus', {}],
];

export default {
  name: 'non-admin',
  description: 'admin adds a member; the member sees no Admin settings and admin RPCs are permission_denied',
  /** @param {any} t */
  async run(t) {
    const server = await t.step('start memoria', () => t.memoria());
    const admin = await t.actor('admin', { baseURL: server.url });
    const member = await t.actor('member', { baseURL: server.url });

    await t.step('admin signs up and adds a member in Settings → Members', async () => {
      await signUp(admin.page, 'root', 'root-password-1');
      const dialog = await openSettings(admin.page, 'Members');
      await dialog.getByLabel('Username').fill('bob');
      await dialog.getByLabel('Password', { exact: true }).fill('bob-password-1');
      await dialog.getByRole('button', { name: 'Add member' }).click();
      await dialog.getByText('Added bob.').waitFor();
      await dialog.getByRole('rowheader', { name: 'bob' }).waitFor();
    });

    await t.step('sign-up is not offered once closed', async () => {
      await member.page.goto('/');
      await member.page.getByText('Sign-up is closed; ask an administrator for an account.').waitFor();
      ok(await member.page.getByRole('heading', { name: 'Sign in' }).isVisible(), 'the page is sign-in only');
      equal(await member.page.getByRole('button', { name: 'Create an account' }).count(), 0, 'no sign-up button');
    });

    await t.step('a wrong password gives a clear message', async () => {
      await member.page.goto('/');
      await member.page.getByLabel('Username').fill('bob');
      await member.page.getByLabel('Password', { exact: true }).fill('not-his-password');
      await member.page.getByRole('button', { name: 'Sign in' }).click();
      const alert = member.page.getByRole('alert');
      await alert.waitFor();
      equal((await alert.textContent())?.trim(), 'Invalid username or password.', 'sign-in error');
    });

    await t.step('the member signs in and sees only Basic settings', async () => {
      await signIn(member.page, 'bob', 'bob-password-1');
      const dialog = await openSettings(member.page, 'Preferences');
      const nav = dialog.getByRole('navigation', { name: 'Settings sections' });
      ok(await nav.getByRole('button', { name: 'My account' }).isVisible(), 'My account is offered');
      equal(await nav.getByRole('heading', { name: 'Admin' }).count(), 0, 'no Admin group');
      equal(await nav.getByRole('button', { name: 'System' }).count(), 0, 'no System section');
      equal(await nav.getByRole('button', { name: 'Members' }).count(), 0, 'no Members section');
      equal(await dialog.getByLabel('Telegram Token').count(), 0, 'no Telegram Token field');
    });

    await t.step('admin RPCs called from the member’s page are permission_denied', async () => {
      for (const [path, body] of adminRpcs) {
        const res = await rpcFromPage(member.page, path, body);
        equal(`${path} → ${res.status} ${res.json?.code}`, `${path} → 403 permission_denied`, 'server answer');
      }
    });

    await t.step('the same calls work for the admin', async () => {
      const res = await rpcFromPage(admin.page, '/memoria.v1.SystemSettingService/GetSystemSetting');
      equal(res.status, 200, 'GetSystemSetting as admin');
    });

    await t.step('the member creates an access token, sees it once, uses it, revokes it', async () => {
      const dialog = await openSettings(member.page, 'My account');
      await dialog.getByLabel('Description').fill('backup script');
      await dialog.getByRole('button', { name: 'Create token' }).click();
      const shown = dialog.getByRole('region', { name: 'New access token' });
      await shown.waitFor();
      const token = await shown.getByLabel('New token').inputValue();
      ok(token.length >= 16, 'a token string is shown');
      await shown.getByRole('button', { name: 'Copy' }).click();
      await shown.getByText('Copied to the clipboard.').waitFor();
      equal(await member.page.evaluate(() => navigator.clipboard.readText()), token, 'the clipboard holds the token');
      const list = dialog.getByRole('list', { name: 'Your access tokens' });
      await list.getByText('backup script').waitFor();

      const call = (bearer) =>
        member.page.evaluate(
          async (b) =>
            (
              await fetch('/memoria.v1.AuthService/GetCurrentUser', {
                method: 'POST',
                credentials: 'omit',
                headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${b}` },
                body: '{}',
              })
            ).status,
          bearer,
        );
      equal(await call(token), 200, 'the token authenticates');

      await shown.getByRole('button', { name: 'Done' }).click();
      equal(await dialog.getByRole('region', { name: 'New access token' }).count(), 0, 'the token is not shown again');
      await list.getByRole('button', { name: 'Revoke token backup script' }).click();
      const confirm = member.page.getByRole('dialog', { name: 'Revoke this token?' });
      await confirm.waitFor();
      // Esc closes only the confirmation, not Settings behind it.
      await member.page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'hidden' });
      ok(await dialog.isVisible(), 'Settings stays open after Esc on the confirmation');
      await list.getByRole('button', { name: 'Revoke token backup script' }).click();
      await confirm.getByRole('button', { name: 'Revoke token' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await dialog.getByText('You have no access tokens.').waitFor();
      equal(await call(token), 401, 'the revoked token is refused');
    });

    await t.step('the member changes display name and password', async () => {
      const dialog = await openSettings(member.page, 'My account');
      await dialog.getByLabel('Display name').fill('Bob Builder');
      await dialog.getByRole('form', { name: 'Profile' }).getByRole('button', { name: 'Save' }).click();
      await dialog.getByText('Saved.').waitFor();
      await member.page.locator('.who', { hasText: 'Bob Builder' }).waitFor();
      await dialog.getByLabel('Current password', { exact: true }).fill('bob-password-1');
      await dialog.getByLabel('New password', { exact: true }).fill('bob-password-2');
      await dialog.getByLabel('Confirm new password').fill('bob-password-2');
      await dialog.getByRole('button', { name: 'Change password' }).click();
      // The server may end every session on a password change: then the UI
      // says so and asks to sign in again; otherwise it confirms in place.
      // It shows "Password changed." first and then asks the server whether
      // this session survived, so ask the same before looking.
      const lost = member.page.getByText('Your password was changed. Sign in with the new password.');
      await lost.or(dialog.getByText('Password changed.')).waitFor();
      const still = await rpcFromPage(member.page, '/memoria.v1.AuthService/GetCurrentUser');
      if (still.json?.code === 'unauthenticated') {
        await lost.waitFor();
        await signIn(member.page, 'bob', 'bob-password-2');
      } else {
        await closeSettings(member.page);
      }
    });

    await t.step('signing out ends the session; the new password works', async () => {
      await signOut(member.page);
      ok(await member.page.getByText('You have signed out.').isVisible(), 'sign-out is confirmed');
      const res = await rpcFromPage(member.page, '/memoria.v1.AuthService/GetCurrentUser');
      equal(res.json?.code, 'unauthenticated', 'GetCurrentUser after signing out');
      await signIn(member.page, 'bob', 'bob-password-2');
    });
  },
};
