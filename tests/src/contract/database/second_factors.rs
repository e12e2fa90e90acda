//! `SecondFactorRepository` cases: pending and enabled factors, steps accepted once and only forward,
//! recovery codes used once (also under races), removal, and accounts kept apart.

use std::sync::Arc;

use darkroom_core::domain::UserId;
use darkroom_core::ports::StoredTotp;

use super::{create_user, now, unique, TestDatabase};

/// Runs `attempts` copies of `call` at once and counts those that answered true.
async fn winners<F, Fut>(attempts: usize, call: F) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let racers: Vec<_> = (0..attempts).map(|_| tokio::spawn(call())).collect();
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    won
}

/// A user with an enabled factor whose last accepted step is `step`, and its recovery code hashes.
async fn enrolled(db: &TestDatabase, step: i64) -> (UserId, String, Vec<String>) {
    let user = create_user(db).await.id;
    let secret = unique("sealed");
    assert!(db
        .second_factors
        .begin_totp(user, &secret, now())
        .await
        .unwrap());
    let codes: Vec<String> = (0..3).map(|_| unique("code")).collect();
    assert!(db
        .second_factors
        .enable_totp(user, &secret, step, &codes)
        .await
        .unwrap());
    (user, secret, codes)
}

pub async fn a_totp_factor_is_pending_until_enabled_with_its_codes(db: Arc<TestDatabase>) {
    let user = create_user(db.as_ref()).await.id;
    let factors = &db.second_factors;
    assert_eq!(factors.totp(user).await.unwrap(), None);
    assert!(factors.begin_totp(user, "first", now()).await.unwrap());
    // Starting again replaces a pending secret.
    assert!(factors.begin_totp(user, "second", now()).await.unwrap());
    let pending = StoredTotp {
        sealed_secret: "second".into(),
        enabled: false,
        last_step: None,
        recovery_codes_left: 0,
    };
    assert_eq!(factors.totp(user).await.unwrap(), Some(pending.clone()));
    // Confirming the replaced secret (an enrolment restarted meanwhile) enables nothing.
    let codes = vec![unique("code"), unique("code")];
    assert!(!factors.enable_totp(user, "first", 7, &codes).await.unwrap());
    assert_eq!(factors.totp(user).await.unwrap(), Some(pending));
    assert!(factors
        .enable_totp(user, "second", 7, &codes)
        .await
        .unwrap());
    let enabled = StoredTotp {
        sealed_secret: "second".into(),
        enabled: true,
        last_step: Some(7),
        recovery_codes_left: 2,
    };
    assert_eq!(factors.totp(user).await.unwrap(), Some(enabled.clone()));
    // An enabled factor is neither replaced nor enabled again.
    assert!(!factors.begin_totp(user, "third", now()).await.unwrap());
    assert!(!factors
        .enable_totp(user, "second", 9, &codes)
        .await
        .unwrap());
    assert_eq!(factors.totp(user).await.unwrap(), Some(enabled));
}

pub async fn totp_steps_are_accepted_once_and_only_forward(db: Arc<TestDatabase>) {
    let pending = create_user(db.as_ref()).await.id;
    assert!(db
        .second_factors
        .begin_totp(pending, "s", now())
        .await
        .unwrap());
    assert!(
        !db.second_factors
            .accept_totp_step(pending, 5)
            .await
            .unwrap(),
        "a pending factor accepts no step"
    );
    let (user, _, _) = enrolled(db.as_ref(), 100).await;
    let factors = &db.second_factors;
    assert!(
        !factors.accept_totp_step(user, 100).await.unwrap(),
        "the confirming code's step"
    );
    assert!(!factors.accept_totp_step(user, 99).await.unwrap());
    assert!(factors.accept_totp_step(user, 101).await.unwrap());
    assert!(
        !factors.accept_totp_step(user, 101).await.unwrap(),
        "a replay"
    );
    assert_eq!(
        factors.totp(user).await.unwrap().unwrap().last_step,
        Some(101)
    );
    let racing = db.clone();
    let won = winners(8, move || {
        let db = racing.clone();
        async move { db.second_factors.accept_totp_step(user, 200).await.unwrap() }
    })
    .await;
    assert_eq!(won, 1, "of racing uses of one code exactly one wins");
    assert!(
        !factors.accept_totp_step(UserId::new(), 300).await.unwrap(),
        "no factor, no step"
    );
}

pub async fn recovery_codes_are_used_once(db: Arc<TestDatabase>) {
    let (user, _, codes) = enrolled(db.as_ref(), 1).await;
    let (other, _, other_codes) = enrolled(db.as_ref(), 1).await;
    let factors = &db.second_factors;
    assert!(!factors
        .consume_recovery_code(user, "never-issued")
        .await
        .unwrap());
    assert!(
        !factors
            .consume_recovery_code(user, &other_codes[0])
            .await
            .unwrap(),
        "another account's code"
    );
    assert!(factors
        .consume_recovery_code(user, &codes[0])
        .await
        .unwrap());
    assert!(!factors
        .consume_recovery_code(user, &codes[0])
        .await
        .unwrap());
    assert_eq!(
        factors
            .totp(user)
            .await
            .unwrap()
            .unwrap()
            .recovery_codes_left,
        2
    );
    let racing = db.clone();
    let code = codes[1].clone();
    let won = winners(8, move || {
        let db = racing.clone();
        let code = code.clone();
        async move {
            db.second_factors
                .consume_recovery_code(user, &code)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(won, 1, "of racing uses of one code exactly one wins");
    assert!(factors
        .consume_recovery_code(user, &codes[2])
        .await
        .unwrap());
    let spent = factors.totp(user).await.unwrap().unwrap();
    assert_eq!(spent.recovery_codes_left, 0);
    assert!(spent.enabled, "using every code leaves the factor on");
    assert_eq!(
        factors
            .totp(other)
            .await
            .unwrap()
            .unwrap()
            .recovery_codes_left,
        3
    );
}

pub async fn removing_a_factor_removes_its_codes(db: Arc<TestDatabase>) {
    let (user, _, codes) = enrolled(db.as_ref(), 1).await;
    let (other, other_secret, _) = enrolled(db.as_ref(), 1).await;
    let factors = &db.second_factors;
    assert!(factors.remove_totp(user).await.unwrap());
    assert_eq!(factors.totp(user).await.unwrap(), None);
    assert!(!factors.remove_totp(user).await.unwrap());
    assert!(!factors
        .consume_recovery_code(user, &codes[0])
        .await
        .unwrap());
    // Enrolling again starts from nothing: no codes, no remembered step.
    assert!(factors.begin_totp(user, "again", now()).await.unwrap());
    let again = factors.totp(user).await.unwrap().unwrap();
    assert_eq!(
        (again.enabled, again.last_step, again.recovery_codes_left),
        (false, None, 0)
    );
    assert!(!factors
        .consume_recovery_code(user, &codes[1])
        .await
        .unwrap());
    let kept = factors.totp(other).await.unwrap().unwrap();
    assert_eq!((kept.sealed_secret, kept.enabled), (other_secret, true));
}
