// (a) placeholder until the fake Telegram API is documented.
export default { name: 'telegram-story', description: 'TBD', async run(t) { await t.fakeTelegram(); } };
