//! Administration over real HTTP on both databases, and from the command line: admin
//! routes for admins only, accounts added with a password or a one-time invite, grants
//! revoked and accounts disabled with effect at the next request in every process,
//! tokens of any account, and every action in the trail with its actor.

use crate::{BIN, error_of, json_of};
use convo_testkit::{ALICE, BOB, Db, Options, TestApp, cli, ok, on_both_databases};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_databases!(
    admin_routes_are_for_admins_only,
    an_admin_adds_accounts_with_a_password_or_a_one_time_invite,
    a_revoked_grant_is_404_at_the_next_request_in_every_process,
    a_disabled_account_is_refused_at_the_next_request_in_every_process,
    an_admin_creates_lists_and_revokes_tokens_of_any_account,
    every_admin_action_is_in_the_trail_with_its_actor,
    the_command_line_adds_admins_revokes_grants_and_disables_accounts,
    schedules_stop_for_a_revoked_grant_and_a_disabled_account,
);

const ROOT: (&str, &str) = ("root@example.com", "root-password");

/// The seeded app with an admin, and the admin's client.
async fn with_admin(db: Db) -> (TestApp, reqwest::Client) {
    let app = TestApp::start(db).await;
    app.seed(2).await;
    let id = app.add_account(ROOT.0, ROOT.1, &[]).await;
    app.state.store.set_admin(id, Some(app.state.clock.now())).await.unwrap();
    let root = app.login(ROOT).await;
    (app, root)
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = request.send().await.unwrap();
    if r.status() == StatusCode::NO_CONTENT {
        return (r.status(), Value::Null);
    }
    json_of(r).await
}

async fn admin_routes_are_for_admins_only(db: Db) {
    let (app, root) = with_admin(db).await;
    let alice = app.login(ALICE).await;
    let anon = reqwest::Client::new();
    let routes: Vec<(reqwest::Method, &str, Value)> = vec![
        (reqwest::Method::GET, "/api/admin/accounts", Value::Null),
        (reqwest::Method::POST, "/api/admin/accounts", json!({"email": "x@example.com", "name": "X", "password": "long-enough"})),
        (reqwest::Method::PATCH, "/api/admin/accounts/bob@example.com", json!({"disabled": true})),
        (reqwest::Method::PUT, "/api/admin/accounts/alice@example.com/grants/bobs-bot", Value::Null),
        (reqwest::Method::DELETE, "/api/admin/accounts/bob@example.com/grants/bobs-bot", Value::Null),
        (reqwest::Method::GET, "/api/admin/tokens", Value::Null),
        (reqwest::Method::POST, "/api/admin/tokens", json!({"email": "alice@example.com", "kind": "personal"})),
        (reqwest::Method::DELETE, "/api/admin/tokens/tok_0000000000000000", Value::Null),
        (reqwest::Method::GET, "/api/admin/audit", Value::Null),
    ];
    for (method, path, body) in &routes {
        let with = |c: &reqwest::Client| {
            let r = c.request(method.clone(), app.url(path));
            if body.is_null() { r } else { r.json(body) }
        };
        let (status, answer) = send(with(&alice)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        assert!(error_of(&answer).contains("admin"), "{answer}");
        assert_eq!(send(with(&anon)).await.0, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Nothing changed: Bob still works, Alice still cannot see Bob's assistant.
    let bob = app.login(BOB).await;
    assert_eq!(send(bob.get(app.url("/api/me"))).await.0, 200);
    let (_, accounts) = send(root.get(app.url("/api/admin/accounts"))).await;
    let emails: Vec<&str> = accounts["accounts"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect();
    assert_eq!(emails, [ALICE.0, BOB.0, ROOT.0]);
    let (_, me) = send(root.get(app.url("/api/me"))).await;
    assert_eq!(me["admin"], true);
    let (_, me) = send(alice.get(app.url("/api/me"))).await;
    assert_eq!(me["admin"], false);
}

async fn an_admin_adds_accounts_with_a_password_or_a_one_time_invite(db: Db) {
    let (app, root) = with_admin(db).await;
    let add = |body: Value| root.post(app.url("/api/admin/accounts")).json(&body);
    let (status, created) = send(add(json!({"email": "Carol@Example.com", "name": "Carol", "password": "carol-password"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!((&created["account"]["email"], created.get("invite_url")), (&json!("carol@example.com"), None));
    app.login(("carol@example.com", "carol-password")).await;

    let (status, invited) = send(add(json!({"email": "dan@example.com", "name": "Dan", "admin": true}))).await;
    assert_eq!(status, StatusCode::CREATED, "{invited}");
    assert_eq!((&invited["account"]["invited"], &invited["account"]["admin"]), (&json!(true), &json!(true)));
    let url = invited["invite_url"].as_str().unwrap();
    let secret = url.split_once("/invite#").expect("a link to the app's invite page").1;
    assert!(url.starts_with(&app.base), "{url}");
    // Before the invite is used there is no password to log in with.
    let anon = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let (status, _) = send(anon.post(app.url("/api/login")).json(&json!({"email": "dan@example.com", "password": ""}))).await;
    assert_eq!(status, 400);
    let (status, body) = send(anon.post(app.url("/api/invite")).json(&json!({"token": secret, "password": "short"}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, me) = send(anon.post(app.url("/api/invite")).json(&json!({"token": secret, "password": "dan-password"}))).await;
    assert_eq!((status.as_u16(), &me["email"], &me["admin"]), (200, &json!("dan@example.com"), &json!(true)), "{me}");
    assert_eq!(send(anon.get(app.url("/api/admin/accounts"))).await.0, 200, "the invite logged Dan in");
    let (status, body) = send(anon.post(app.url("/api/invite")).json(&json!({"token": secret, "password": "other-password"}))).await;
    assert_eq!(status, 400, "an invite works once: {body}");
    app.login(("dan@example.com", "dan-password")).await;

    for (body, status, said) in [
        (json!({"email": "not-an-email", "name": "X", "password": "long-enough"}), 400, "not an email address"),
        (json!({"email": "x@example.com", "name": "", "password": "long-enough"}), 400, "name"),
        (json!({"email": "x@example.com", "name": "X", "password": "short"}), 400, "at least 8 characters"),
        (json!({"email": "alice@example.com", "name": "A", "password": "long-enough"}), 409, "already exists"),
        (json!({"email": "x@example.com"}), 400, "name"),
    ] {
        let (got, answer) = send(add(body.clone())).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        assert!(error_of(&answer).contains(said), "{answer}");
    }
    let (_, accounts) = send(root.get(app.url("/api/admin/accounts"))).await;
    assert_eq!(accounts["accounts"].as_array().unwrap().len(), 5, "nothing stored by bad requests: {accounts}");
}

async fn a_revoked_grant_is_404_at_the_next_request_in_every_process(db: Db) {
    let (app, root) = with_admin(db).await;
    let alice = app.login(ALICE).await;
    let page = "/api/assistants/support-bot/conversations?days=30";
    assert_eq!(send(alice.get(app.url(page))).await.0, 200);
    // An export the browser is still rendering when the grant goes.
    let rendering = convo_testkit::create_export(&alice, &app.base, json!({"assistant_id": "support-bot", "days": 30})).await;
    assert_eq!(alice.get(app.url(&format!("/api/exports/{rendering}/pages"))).send().await.unwrap().status(), 200);
    let (status, account) = send(root.delete(app.url("/api/admin/accounts/alice@example.com/grants/support-bot"))).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["assistants"], json!(["sales-bot"]));
    let (pages, stream) = (format!("/api/exports/{rendering}/pages"), format!("/api/exports/{rendering}/stream"));
    for path in [page, "/api/exports/preview?assistant_id=support-bot&days=30", pages.as_str(), stream.as_str()] {
        assert_eq!(send(alice.get(app.url(path))).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let create = json!({"assistant_id": "support-bot", "days": 30});
    assert_eq!(send(alice.post(app.url("/api/exports")).json(&create)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(root.delete(app.url("/api/admin/accounts/alice@example.com/grants/support-bot"))).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(root.put(app.url("/api/admin/accounts/alice@example.com/grants/no-such-bot"))).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(root.put(app.url("/api/admin/accounts/nobody@example.com/grants/sales-bot"))).await.0, StatusCode::NOT_FOUND);

    // Granted again here, revoked by another process on the same database.
    let (status, _) = send(root.put(app.url("/api/admin/accounts/alice@example.com/grants/support-bot"))).await;
    assert_eq!(status, 200);
    assert_eq!(send(alice.get(app.url(page))).await.0, 200);
    let other = app.sibling(Options::default()).await;
    assert!(other.admin.revoke(convo_server::admin::Actor::CommandLine, ALICE.0, "support-bot").await.unwrap());
    assert_eq!(send(alice.get(app.url(page))).await.0, StatusCode::NOT_FOUND, "revoked in another process");
}

async fn a_disabled_account_is_refused_at_the_next_request_in_every_process(db: Db) {
    let (app, root) = with_admin(db).await;
    let alice = app.login(ALICE).await;
    let (alice_ref, _) = app.state.store.account_by_email(ALICE.0).await.unwrap().unwrap();
    let (_, token) = app.state.accounts.create_token(&alice_ref, None).await.unwrap();
    let (_, ingest) = app.state.accounts.create_ingest_token(&alice_ref, &["support-bot".into()], None).await.unwrap();
    let (status, account) = send(root.patch(app.url("/api/admin/accounts/alice@example.com")).json(&json!({"disabled": true}))).await;
    assert_eq!((status.as_u16(), &account["disabled"]), (200, &json!(true)), "{account}");
    assert_eq!(send(alice.get(app.url("/api/me"))).await.0, StatusCode::UNAUTHORIZED, "its session");
    assert_eq!(send(reqwest::Client::new().get(app.url("/api/me")).bearer_auth(&token)).await.0, StatusCode::UNAUTHORIZED);
    let line = convo_testkit::import_lines("support-bot", 1, 2, app.state.clock.now(), 3, 5);
    let (status, _) = send(reqwest::Client::new().post(app.url("/api/ingest")).bearer_auth(&ingest).body(line.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "its ingest token");
    let anon = reqwest::Client::new();
    let (status, body) = send(anon.post(app.url("/api/login")).json(&json!({"email": ALICE.0, "password": ALICE.1}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(error_of(&body).contains("disabled"), "{body}");
    let (_, body) = send(anon.post(app.url("/api/login")).json(&json!({"email": ALICE.0, "password": "wrong-password"}))).await;
    assert_eq!(error_of(&body), "wrong email or password", "a wrong password says nothing of the account");
    let (status, body) = send(root.patch(app.url("/api/admin/accounts/root@example.com")).json(&json!({"disabled": true}))).await;
    assert_eq!(status, 400, "an admin cannot lock themselves out: {body}");

    // Enabled again here; disabled by another process: the token stops at once.
    let (status, _) = send(root.patch(app.url("/api/admin/accounts/alice@example.com")).json(&json!({"disabled": false}))).await;
    assert_eq!(status, 200);
    assert_eq!(send(reqwest::Client::new().get(app.url("/api/me")).bearer_auth(&token)).await.0, 200);
    let other = app.sibling(Options::default()).await;
    other.admin.disable(convo_server::admin::Actor::CommandLine, ALICE.0).await.unwrap();
    assert_eq!(send(reqwest::Client::new().get(app.url("/api/me")).bearer_auth(&token)).await.0, StatusCode::UNAUTHORIZED);
}

async fn an_admin_creates_lists_and_revokes_tokens_of_any_account(db: Db) {
    let (app, root) = with_admin(db).await;
    let create = |body: Value| root.post(app.url("/api/admin/tokens")).json(&body);
    let (status, made) = send(create(json!({"email": BOB.0, "kind": "ingest", "assistants": ["bobs-bot"], "expires_in_days": 30}))).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (id, token) = (made["id"].as_str().unwrap().to_string(), made["token"].as_str().unwrap().to_string());
    let line = convo_testkit::import_lines("bobs-bot", 1, 2, app.state.clock.now(), 3, 5);
    let (status, answer) = send(reqwest::Client::new().post(app.url("/api/ingest")).bearer_auth(&token).body(line.clone())).await;
    assert_eq!(status, 200, "{answer}");
    let (_, list) = send(root.get(app.url("/api/admin/tokens"))).await;
    let listed = list["api_tokens"].as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).expect("listed").clone();
    assert_eq!((&listed["email"], &listed["kind"], &listed["assistants"]), (&json!(BOB.0), &json!("ingest"), &json!(["bobs-bot"])));
    assert_eq!(listed["last_used_at"], json!(app.state.clock.now()), "{listed}");
    assert!(!list.to_string().contains(&token), "a listed token never shows its secret");

    for (body, said) in [
        (json!({"email": BOB.0, "kind": "ingest"}), "at least one assistant"),
        (json!({"email": BOB.0, "kind": "personal", "assistants": ["bobs-bot"]}), "only an ingest token"),
        (json!({"email": BOB.0, "kind": "admin"}), "kind"),
        (json!({"email": BOB.0, "kind": "personal", "expires_in_days": 0}), "1 to 3650"),
    ] {
        let (status, answer) = send(create(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(error_of(&answer).contains(said), "{answer}");
    }
    assert_eq!(send(create(json!({"email": "nobody@example.com", "kind": "personal"}))).await.0, StatusCode::NOT_FOUND);
    let (_, after) = send(root.get(app.url("/api/admin/tokens"))).await;
    assert_eq!(after["api_tokens"].as_array().unwrap().len(), 1, "nothing stored by bad requests");

    assert_eq!(send(root.delete(app.url(&format!("/api/admin/tokens/{id}")))).await.0, StatusCode::NO_CONTENT);
    assert_eq!(send(root.delete(app.url(&format!("/api/admin/tokens/{id}")))).await.0, StatusCode::NOT_FOUND);
    let (status, _) = send(reqwest::Client::new().post(app.url("/api/ingest")).bearer_auth(&token).body(line)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked at once");
}

async fn every_admin_action_is_in_the_trail_with_its_actor(db: Db) {
    let (app, root) = with_admin(db).await;
    send(root.delete(app.url("/api/admin/accounts/alice@example.com/grants/sales-bot"))).await;
    send(root.put(app.url("/api/admin/accounts/alice@example.com/grants/bobs-bot"))).await;
    send(root.patch(app.url("/api/admin/accounts/bob@example.com")).json(&json!({"admin": true}))).await;
    let (_, made) = send(root.post(app.url("/api/admin/tokens")).json(&json!({"email": BOB.0, "kind": "personal"}))).await;
    send(root.delete(app.url(&format!("/api/admin/tokens/{}", made["id"].as_str().unwrap())))).await;
    let (status, trail) = send(root.get(app.url("/api/admin/audit"))).await;
    assert_eq!(status, 200, "{trail}");
    let seen: Vec<(String, String, String)> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().into(), e["actor"].as_str().unwrap().into(), e["account"].as_str().unwrap_or("").into()))
        .collect();
    let expected = [
        ("token revoked", ROOT.0, BOB.0),
        ("token created", ROOT.0, BOB.0),
        ("made admin", ROOT.0, BOB.0),
        ("granted", ROOT.0, ALICE.0),
        ("revoked", ROOT.0, ALICE.0),
    ];
    let expected: Vec<(String, String, String)> = expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(seen[..5], expected[..], "{trail}");
    // Alice's own trail says what was done to her account, and nothing of Bob's.
    let alice = app.login(ALICE).await;
    let (_, mine) = send(alice.get(app.url("/api/audit"))).await;
    let actions: Vec<&str> = mine["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["granted", "revoked"], "{mine}");
    assert!(!mine.to_string().contains(BOB.0), "{mine}");
}

async fn the_command_line_adds_admins_revokes_grants_and_disables_accounts(db: Db) {
    let app = TestApp::start(db).await;
    app.seed(1).await;
    let (dir, url) = (app.dir.path(), Some(app.database_url.as_str()));
    let run = |args: &[&str], stdin: Option<&str>| cli(BIN, dir, url, args, stdin);
    ok(run(&["account", "add", "--email", "ops@example.com", "--name", "Ops", "--password-stdin", "--admin"], Some("ops-password\n")));
    let ops = app.login(("ops@example.com", "ops-password")).await;
    assert_eq!(send(ops.get(app.url("/api/admin/accounts"))).await.0, 200, "added as an admin");
    ok(run(&["account", "promote", "--email", BOB.0], None));
    assert_eq!(send(app.login(BOB).await.get(app.url("/api/admin/tokens"))).await.0, 200, "promoted");

    let alice = app.login(ALICE).await;
    let page = "/api/assistants/sales-bot/conversations?days=30";
    assert_eq!(send(alice.get(app.url(page))).await.0, 200);
    let said = ok(run(&["account", "revoke", "--email", ALICE.0, "--assistant", "sales-bot"], None));
    assert!(said.contains("may no longer see sales-bot"), "{said}");
    assert_eq!(send(alice.get(app.url(page))).await.0, StatusCode::NOT_FOUND);
    ok(run(&["account", "disable", "--email", ALICE.0], None));
    assert_eq!(send(alice.get(app.url("/api/me"))).await.0, StatusCode::UNAUTHORIZED);
    let listed = ok(run(&["account", "list"], None));
    assert!(listed.lines().any(|l| l.starts_with(ALICE.0) && l.contains("disabled")), "{listed}");

    let token = ok(run(
        &["token", "create", "--email", "ops@example.com", "--ingest", "--assistant", "support-bot", "--assistant", "new-bot"],
        None,
    ));
    let line = convo_testkit::import_lines("new-bot", 1, 2, app.state.clock.now(), 3, 5);
    let (status, answer) = send(reqwest::Client::new().post(app.url("/api/ingest")).bearer_auth(token.trim()).body(line)).await;
    assert_eq!((status.as_u16(), &answer["accepted"]), (200, &json!(1)), "{answer}");
    let listed = ok(run(&["token", "list", "--email", "ops@example.com"], None));
    assert!(listed.contains("ingest (new-bot, support-bot)") && !listed.contains("last used never"), "{listed}");

    for (args, said) in [
        (
            &["account", "revoke", "--email", "nobody@example.com", "--assistant", "sales-bot"][..],
            "no account with the email nobody@example.com",
        ),
        (&["account", "grant", "--email", BOB.0, "--assistant", "no-such-bot"][..], "no assistant with the id \"no-such-bot\""),
        (&["account", "disable", "--email", "nobody@example.com"][..], "no account"),
        (&["token", "create", "--email", BOB.0, "--assistant", "x"][..], "--ingest"),
    ] {
        let out = run(args, None);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{args:?}: {err}");
    }
    let (_, trail) = send(ops.get(app.url("/api/admin/audit"))).await;
    let by_cli = trail["events"].as_array().unwrap().iter().filter(|e| e["actor"] == "command line").count();
    assert!(by_cli >= 5, "the command line's actions are in the trail: {trail}");
}

async fn schedules_stop_for_a_revoked_grant_and_a_disabled_account(db: Db) {
    let (app, root) = with_admin(db).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    for (client, assistant) in [(&alice, "support-bot"), (&bob, "bobs-bot")] {
        let body = json!({"assistant_id": assistant, "every": "week", "time_zone": "UTC"});
        let (status, made) = send(client.post(app.url("/api/schedules")).json(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
    }
    let (_, schedules) = send(alice.get(app.url("/api/schedules"))).await;
    let alices = schedules["schedules"][0]["id"].as_str().unwrap().to_string();
    send(root.delete(app.url("/api/admin/accounts/alice@example.com/grants/support-bot"))).await;
    send(root.patch(app.url("/api/admin/accounts/bob@example.com")).json(&json!({"disabled": true}))).await;
    app.state.clock.advance(chrono::Duration::days(8));
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 0, "neither schedule exports");
    let (status, body) = send(alice.post(app.url(&format!("/api/schedules/{alices}/run")))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor when run by hand: {body}");
    let (_, list) = send(alice.get(app.url("/api/exports"))).await;
    assert_eq!(list["exports"], json!([]), "{list}");
    // Granted again, the schedule exports its due week.
    send(root.put(app.url("/api/admin/accounts/alice@example.com/grants/support-bot"))).await;
    assert_eq!(app.state.jobs.sweep_once().await.unwrap().scheduled, 1);
}
