/**
 * Discreet as an Apps Script add-on: every trigger and button forwards its
 * event to the Discreet server and renders the card JSON that comes back
 * with CardService. The server decides everything; this file only carries
 * events and draws cards.
 *
 * The server must run with UserTokenAuth on: Apps Script has no system ID
 * token, so Authorization carries the user's own ID token.
 */
var DISCREET_URL = 'https://HOST';

function onHomepage(e) { return trigger_('/addon/homepage', e); }
function onGmailMessage(e) { return trigger_('/addon/message', e); }
function onGmailCompose(e) { return trigger_('/addon/compose', e); }
function onAction(e) { return callback_('/addon/action', e); }

/** event_ shapes an Apps Script event like the HTTP runtime's. */
function event_(e) {
  e = e || {};
  var gmail = {};
  var src = e.gmail || {};
  ['messageId', 'threadId', 'accessToken', 'toRecipients', 'ccRecipients', 'bccRecipients'].forEach(function (k) {
    if (src[k] !== undefined) gmail[k] = src[k];
  });
  var draft = e.draftMetadata || {};
  ['toRecipients', 'ccRecipients', 'bccRecipients'].forEach(function (k) {
    if (draft[k] !== undefined) gmail[k] = draft[k];
  });
  if (!gmail.messageId && e.messageMetadata) {
    gmail.messageId = e.messageMetadata.messageId;
    gmail.accessToken = e.messageMetadata.accessToken;
  }
  return {
    commonEventObject: e.commonEventObject || {hostApp: 'GMAIL'},
    authorizationEventObject: {userOAuthToken: ScriptApp.getOAuthToken(), userIdToken: ScriptApp.getIdentityToken()},
    gmail: gmail
  };
}

/** post_ sends the event and returns the parsed answer or an error card. */
function post_(path, e) {
  var resp;
  try {
    resp = UrlFetchApp.fetch(DISCREET_URL + path, {
      method: 'post',
      contentType: 'application/json',
      headers: {Authorization: 'Bearer ' + ScriptApp.getIdentityToken()},
      payload: JSON.stringify(event_(e)),
      muteHttpExceptions: true
    });
  } catch (err) {
    return errorResponse_('Discreet is not reachable: ' + err);
  }
  if (resp.getResponseCode() !== 200) {
    return errorResponse_('Discreet answered HTTP ' + resp.getResponseCode() + '. Try again in a moment.');
  }
  try {
    return JSON.parse(resp.getContentText());
  } catch (err) {
    return errorResponse_('Discreet sent an answer this add-on cannot read.');
  }
}

function errorResponse_(text) {
  return {action: {navigations: [{pushCard: {header: {title: 'Discreet', subtitle: 'Something went wrong'},
    sections: [{widgets: [{textParagraph: {text: text}}]}]}}]}};
}

/** trigger_ answers a homepage/message/compose trigger with cards. */
function trigger_(path, e) {
  var r = post_(path, e);
  var action = r.action || (r.renderActions && r.renderActions.action) || {};
  var cards = [];
  (action.navigations || []).forEach(function (n) {
    var c = n.pushCard || n.updateCard;
    if (c) cards.push(buildCard_(c));
  });
  if (!cards.length) cards.push(buildCard_(errorResponse_('Discreet sent no card.').action.navigations[0].pushCard));
  return cards;
}

/** callback_ answers a button click with an ActionResponse. */
function callback_(path, e) {
  var r = post_(path, e);
  var action = (r.renderActions && r.renderActions.action) || r.action || {};
  var b = CardService.newActionResponseBuilder();
  // One Navigation carries every step, in order (e.g. popToRoot, then
  // updateCard, then pushCard): a second setNavigation would replace it.
  var navs = action.navigations || [];
  if (navs.length) {
    var nav = CardService.newNavigation();
    navs.forEach(function (n) {
      if (n.pushCard) nav = nav.pushCard(buildCard_(n.pushCard));
      else if (n.updateCard) nav = nav.updateCard(buildCard_(n.updateCard));
      else if (n.pop) nav = nav.popCard();
      else if (n.popToRoot) nav = nav.popToRoot();
      else if (n.popToCard) nav = nav.popToNamedCard(n.popToCard);
    });
    b.setNavigation(nav);
  }
  if (action.notification) b.setNotification(CardService.newNotification().setText(action.notification.text));
  return b.build();
}

/** buildCard_ renders card JSON (Card v1, the widgets Discreet emits). */
function buildCard_(c) {
  var card = CardService.newCardBuilder();
  if (c.name) card.setName(c.name);
  if (c.header) {
    var h = CardService.newCardHeader().setTitle(c.header.title || '');
    if (c.header.subtitle) h.setSubtitle(c.header.subtitle);
    card.setHeader(h);
  }
  (c.sections || []).forEach(function (s) {
    var sec = CardService.newCardSection();
    if (s.header) sec.setHeader(s.header);
    (s.widgets || []).forEach(function (w) {
      var built = buildWidget_(w);
      if (built) sec.addWidget(built);
    });
    card.addSection(sec);
  });
  return card.build();
}

function action_(a) {
  var params = {};
  (a.parameters || []).forEach(function (p) { params[p.key] = String(p.value); });
  return CardService.newAction().setFunctionName('onAction').setParameters(params);
}

function icon_(ic) {
  var i = CardService.newIconImage();
  if (ic.knownIcon) i.setIcon(CardService.Icon[ic.knownIcon]);
  else if (ic.iconUrl) i.setIconUrl(ic.iconUrl);
  if (ic.altText) i.setAltText(ic.altText);
  return i;
}

function button_(b) {
  var t = CardService.newTextButton().setText(b.text || '');
  if (b.onClick && b.onClick.action) t.setOnClickAction(action_(b.onClick.action));
  else if (b.onClick && b.onClick.openLink) t.setOpenLink(CardService.newOpenLink().setUrl(b.onClick.openLink.url));
  if (b.type === 'FILLED') t.setTextButtonStyle(CardService.TextButtonStyle.FILLED);
  if (b.disabled) t.setDisabled(true);
  return t;
}

function buildWidget_(w) {
  if (w.textParagraph) return CardService.newTextParagraph().setText(w.textParagraph.text || '');
  if (w.divider) return CardService.newDivider();
  if (w.buttonList) {
    var set = CardService.newButtonSet();
    (w.buttonList.buttons || []).forEach(function (b) { set.addButton(button_(b)); });
    return set;
  }
  if (w.decoratedText) {
    var d = w.decoratedText;
    var dt = CardService.newDecoratedText().setText(d.text || '');
    if (d.topLabel) dt.setTopLabel(d.topLabel);
    if (d.bottomLabel) dt.setBottomLabel(d.bottomLabel);
    if (d.wrapText) dt.setWrapText(true);
    if (d.startIcon || d.icon) dt.setStartIcon(icon_(d.startIcon || d.icon));
    if (d.button) dt.setButton(button_(d.button));
    if (d.switchControl) {
      var sc = d.switchControl;
      var sw = CardService.newSwitch().setFieldName(sc.name).setValue(sc.value || 'true').setSelected(!!sc.selected);
      if (sc.controlType === 'CHECK_BOX' || sc.controlType === 'CHECKBOX') sw.setControlType(CardService.SwitchControlType.CHECK_BOX);
      dt.setSwitchControl(sw);
    }
    return dt;
  }
  if (w.selectionInput) {
    var s = w.selectionInput;
    var si = CardService.newSelectionInput().setFieldName(s.name).setType(CardService.SelectionInputType[s.type]);
    if (s.label) si.setTitle(s.label);
    (s.items || []).forEach(function (it) { si.addItem(it.text, it.value, !!it.selected); });
    return si;
  }
  if (w.textInput) {
    var t = w.textInput;
    var ti = CardService.newTextInput().setFieldName(t.name);
    if (t.label) ti.setTitle(t.label);
    if (t.hintText) ti.setHint(t.hintText);
    if (t.value) ti.setValue(t.value);
    if (t.type === 'MULTIPLE_LINE') ti.setMultiline(true);
    return ti;
  }
  return null;
}

if (typeof module !== 'undefined') {
  module.exports = {event_: event_, buildCard_: buildCard_, trigger_: trigger_, callback_: callback_};
}
