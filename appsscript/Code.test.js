// Tests for Code.js with mocked Apps Script services:
//   node --test appsscript/
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// builder is a CardService object: every setX/addX call is recorded and
// returns the builder; build() returns it too.
function builder(kind) {
  const calls = [];
  const self = new Proxy({kind, calls}, {
    get(target, prop) {
      if (prop in target) return target[prop];
      if (typeof prop !== 'string') return undefined;
      return (...args) => {
        calls.push([prop, ...args]);
        return prop === 'build' ? self : self;
      };
    },
  });
  return self;
}

const enumProxy = (name) => new Proxy({}, {get: (_, k) => (typeof k === 'string' ? name + '.' + k : undefined)});

function load(responseBody, status = 200) {
  const fetched = [];
  const ctx = {
    module: {exports: {}},
    ScriptApp: {getIdentityToken: () => 'user-id-token', getOAuthToken: () => 'user-oauth-token'},
    UrlFetchApp: {
      fetch(url, opts) {
        fetched.push({url, opts});
        return {getResponseCode: () => status, getContentText: () => (typeof responseBody === 'string' ? responseBody : JSON.stringify(responseBody))};
      },
    },
    CardService: new Proxy({
      Icon: enumProxy('Icon'), TextButtonStyle: enumProxy('TextButtonStyle'),
      SelectionInputType: enumProxy('SelectionInputType'), SwitchControlType: enumProxy('SwitchControlType'),
    }, {get: (t, k) => (k in t ? t[k] : typeof k === 'string' && k.startsWith('new') ? () => builder(k.slice(3)) : undefined)}),
  };
  vm.createContext(ctx);
  vm.runInContext(fs.readFileSync(path.join(__dirname, 'Code.js'), 'utf8'), ctx, {filename: 'Code.js'});
  return {ctx, fetched, api: ctx.module.exports};
}

const call = (b, name) => b.calls.filter((c) => c[0] === name);

test('triggers forward the event as the HTTP runtime would send it', () => {
  const card = {header: {title: 'Discreet'}, sections: [{widgets: [{textParagraph: {text: 'hi'}}]}]};
  const {ctx, fetched} = load({action: {navigations: [{pushCard: card}]}});
  const cards = ctx.onGmailMessage({commonEventObject: {hostApp: 'GMAIL', userLocale: 'de'},
    gmail: {messageId: 'm1', threadId: 't1', accessToken: 'acc'}});
  assert.strictEqual(fetched.length, 1);
  const {url, opts} = fetched[0];
  assert.strictEqual(url, 'https://HOST/addon/message');
  assert.strictEqual(opts.method, 'post');
  assert.strictEqual(opts.contentType, 'application/json');
  assert.strictEqual(opts.headers.Authorization, 'Bearer user-id-token');
  assert.strictEqual(opts.muteHttpExceptions, true);
  const ev = JSON.parse(opts.payload);
  assert.deepStrictEqual(ev.gmail, {messageId: 'm1', threadId: 't1', accessToken: 'acc'});
  assert.strictEqual(ev.authorizationEventObject.userOAuthToken, 'user-oauth-token');
  assert.strictEqual(ev.commonEventObject.userLocale, 'de');
  assert.strictEqual(cards.length, 1);
  assert.strictEqual(cards[0].kind, 'CardBuilder');
});

test('compose recipients come from draftMetadata', () => {
  const {ctx, fetched} = load({action: {navigations: [{pushCard: {sections: [{widgets: [{divider: {}}]}]}}]}});
  ctx.onGmailCompose({draftMetadata: {toRecipients: ['a@x.example'], ccRecipients: [], bccRecipients: ['b@y.example']}});
  const ev = JSON.parse(fetched[0].opts.payload);
  assert.strictEqual(fetched[0].url, 'https://HOST/addon/compose');
  assert.deepStrictEqual(ev.gmail.toRecipients, ['a@x.example']);
  assert.deepStrictEqual(ev.gmail.bccRecipients, ['b@y.example']);
});

test('buttons call onAction with the card parameters; callbacks become ActionResponses', () => {
  const card = {sections: [{widgets: [{buttonList: {buttons: [{text: 'Log', type: 'FILLED',
    onClick: {action: {function: 'https://HOST/addon/action', parameters: [{key: 'action', value: 'log'}, {key: 'messageId', value: 'm1'}]}}}]}}]}]};
  const {ctx, fetched} = load({renderActions: {action: {navigations: [{updateCard: card}], notification: {text: 'Logged as Private'}}}});
  const resp = ctx.onAction({commonEventObject: {parameters: {action: 'log', messageId: 'm1'}, formInputs: {visibility: {stringInputs: {value: ['private']}}}}});
  assert.strictEqual(fetched[0].url, 'https://HOST/addon/action');
  assert.deepStrictEqual(JSON.parse(fetched[0].opts.payload).commonEventObject.parameters, {action: 'log', messageId: 'm1'});
  assert.strictEqual(resp.kind, 'ActionResponseBuilder');
  const nav = call(resp, 'setNavigation')[0][1];
  const updated = call(nav, 'updateCard')[0][1];
  const section = call(updated, 'addSection')[0][1];
  const set = call(section, 'addWidget')[0][1];
  const btn = call(set, 'addButton')[0][1];
  assert.deepStrictEqual(call(btn, 'setTextButtonStyle')[0], ['setTextButtonStyle', 'TextButtonStyle.FILLED']);
  const action = call(btn, 'setOnClickAction')[0][1];
  assert.deepStrictEqual(call(action, 'setFunctionName')[0], ['setFunctionName', 'onAction']);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(call(action, 'setParameters')[0][1])), {action: 'log', messageId: 'm1'});
  assert.strictEqual(call(call(resp, 'setNotification')[0][1], 'setText')[0][1], 'Logged as Private');
});

test('several navigations are steps of one Navigation, in order', () => {
  const card = (name) => ({name, sections: [{widgets: [{divider: {}}]}]});
  const {ctx} = load({renderActions: {action: {navigations: [{popToRoot: true}, {updateCard: card('home')}, {pushCard: card('neverLog')}]}}});
  const resp = ctx.onAction({commonEventObject: {parameters: {action: 'purgeEntry', id: 'n1'}}});
  const navs = call(resp, 'setNavigation');
  assert.strictEqual(navs.length, 1);
  assert.deepStrictEqual(navs[0][1].calls.map((c) => c[0]), ['popToRoot', 'updateCard', 'pushCard']);
  assert.deepStrictEqual(call(navs[0][1], 'pushCard')[0][1].calls[0], ['setName', 'neverLog']);
});

test('a failing server gives an error card, not an exception', () => {
  for (const [body, status] of [['oops', 502], ['not json', 200]]) {
    const {ctx} = load(body, status);
    const cards = ctx.onHomepage({});
    const section = call(cards[0], 'addSection')[0][1];
    const para = call(section, 'addWidget')[0][1];
    assert.match(call(para, 'setText')[0][1], /Discreet/);
  }
});

test('every golden card of the server renders with CardService', () => {
  const dir = path.join(__dirname, '..', 'addon', 'testdata');
  const goldens = fs.readdirSync(dir).filter((f) => f.endsWith('.golden.json'));
  assert.ok(goldens.length > 5, 'golden cards missing');
  const {api} = load({});
  for (const f of goldens) {
    const resp = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const action = resp.action || resp.renderActions.action;
    for (const n of action.navigations || []) {
      const c = n.pushCard || n.updateCard;
      if (!c) continue;
      const built = api.buildCard_(c);
      const sections = call(built, 'addSection');
      assert.strictEqual(sections.length, c.sections.length, f);
      sections.forEach((s, i) => {
        assert.strictEqual(call(s[1], 'addWidget').length, c.sections[i].widgets.length, f + ': a widget was not rendered');
      });
    }
  }
});
