//! The journey as one explicit state machine. A [`Stage`] is stored with every
//! flow; each journey page or form is an [`Action`]; the pure [`next`] says whether
//! the action may run in the stage or which page the person must see instead. Every
//! journey handler enters through [`super::enter`], the one dispatcher, so a URL
//! reached out of order answers with the page of the current stage — never with a
//! link, a session or a code.
//!
//! ```text
//! Login ──«Через Госуслуги»+role──▶ RoleChosen ──callback──▶ Refused (not confirmed)
//!   │                                                  ├────▶ EsiaReturned ──«Даю согласие»──┐
//!   │                                                  └─(consent on file)──────────────────┤
//!   │                                      link policy ◀────────────────────────────────────┘
//!   │                         ┌──────────────┬────────────────┴──────────────┐
//!   │                     NotFound       Choosing                      (one account)
//!   │              link │ request │ «Выход»→Login  │ choose                     │
//!   └──password──────────────┴───────────────────────┴──────────────────▶ SignedIn ──▶ RP consent ──▶ code
//! ```

use serde::{Deserialize, Serialize};

/// Where a flow is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The login page: the school login and password, or «Через Госуслуги».
    #[default]
    Login,
    /// The role is chosen and the browser was sent to ESIA; waiting for the callback.
    RoleChosen,
    /// ESIA vouched for the person; the personal-data consent is not given yet.
    EsiaReturned,
    /// ESIA's account is not confirmed (or a child account for another role).
    Refused,
    /// «Запись не найдена»: link with credentials, an access request, or «Выход».
    NotFound,
    /// «Выберите учетную запись».
    Choosing,
    /// The person signed in within this flow: the relying-party consent, then the code.
    SignedIn,
}

/// A page or a form of the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    LoginPage,
    PasswordLogin,
    RolePage,
    StartEsia,
    Callback,
    RefusedPage,
    PdConsentPage,
    PdConsentAnswer,
    NotFoundPage,
    LinkPage,
    LinkSubmit,
    /// Any page or form of «Обратиться в организацию».
    Request,
    /// «Выход» on «Запись не найдена»: back to the login page.
    Leave,
    ChooserPage,
    Choose,
    ConsentPage,
    ConsentAnswer,
    /// Leave the journey (`access_denied` to the relying party).
    Exit,
}

/// What the dispatcher does with an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The action may run.
    Act,
    /// Out of order: show the page of the flow's stage instead.
    Show(Stage),
}

/// Pure: whether `action` may run in `stage`.
pub fn next(stage: Stage, action: Action) -> Gate {
    use Action as A;
    use Stage as S;
    let allowed = match stage {
        S::Login => matches!(action, A::LoginPage | A::PasswordLogin | A::RolePage | A::StartEsia | A::Exit),
        // Back from ESIA: the person may choose the role again or sign in with a password.
        S::RoleChosen => {
            matches!(action, A::Callback | A::RolePage | A::StartEsia | A::LoginPage | A::PasswordLogin | A::Exit)
        }
        S::EsiaReturned => matches!(action, A::PdConsentPage | A::PdConsentAnswer | A::Exit),
        S::Refused => matches!(action, A::RefusedPage | A::Exit),
        S::NotFound => {
            matches!(action, A::NotFoundPage | A::LinkPage | A::LinkSubmit | A::Request | A::Leave | A::Exit)
        }
        S::Choosing => matches!(action, A::ChooserPage | A::Choose | A::Exit),
        S::SignedIn => matches!(action, A::ConsentPage | A::ConsentAnswer),
    };
    if allowed { Gate::Act } else { Gate::Show(stage) }
}

/// The path of the page that shows `stage` (the flow's signed id is appended).
pub fn page_of(stage: Stage) -> &'static str {
    match stage {
        Stage::Login => "/login",
        Stage::RoleChosen => "/login/esia",
        Stage::EsiaReturned => "/login/esia/consent",
        Stage::Refused => "/login/esia/refused",
        Stage::NotFound => "/login/esia/not-found",
        Stage::Choosing => "/login/esia/choose",
        Stage::SignedIn => "/consent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STAGES: [Stage; 7] = [
        Stage::Login,
        Stage::RoleChosen,
        Stage::EsiaReturned,
        Stage::Refused,
        Stage::NotFound,
        Stage::Choosing,
        Stage::SignedIn,
    ];

    /// Each action and the only stages that let it run.
    #[test]
    fn stage_transitions_table() {
        use Action as A;
        use Stage as S;
        let table: Vec<(Action, Vec<Stage>)> = vec![
            (A::LoginPage, vec![S::Login, S::RoleChosen]),
            (A::PasswordLogin, vec![S::Login, S::RoleChosen]),
            (A::RolePage, vec![S::Login, S::RoleChosen]),
            (A::StartEsia, vec![S::Login, S::RoleChosen]),
            (A::Callback, vec![S::RoleChosen]),
            (A::RefusedPage, vec![S::Refused]),
            (A::PdConsentPage, vec![S::EsiaReturned]),
            (A::PdConsentAnswer, vec![S::EsiaReturned]),
            (A::NotFoundPage, vec![S::NotFound]),
            (A::LinkPage, vec![S::NotFound]),
            (A::LinkSubmit, vec![S::NotFound]),
            (A::Request, vec![S::NotFound]),
            (A::Leave, vec![S::NotFound]),
            (A::ChooserPage, vec![S::Choosing]),
            (A::Choose, vec![S::Choosing]),
            (A::ConsentPage, vec![S::SignedIn]),
            (A::ConsentAnswer, vec![S::SignedIn]),
            (A::Exit, vec![S::Login, S::RoleChosen, S::EsiaReturned, S::Refused, S::NotFound, S::Choosing]),
        ];
        for (action, stages) in table {
            for stage in ALL_STAGES {
                let expected = if stages.contains(&stage) { Gate::Act } else { Gate::Show(stage) };
                assert_eq!(next(stage, action), expected, "{action:?} in {stage:?}");
            }
        }
    }

    #[test]
    fn nothing_links_before_the_consent_or_for_a_refused_person() {
        for stage in [Stage::Login, Stage::RoleChosen, Stage::EsiaReturned, Stage::Refused, Stage::SignedIn] {
            for action in [Action::LinkSubmit, Action::Choose, Action::Request] {
                assert_ne!(next(stage, action), Gate::Act, "{action:?} in {stage:?}");
            }
        }
    }

    #[test]
    fn every_stage_has_a_page() {
        for stage in ALL_STAGES {
            assert!(page_of(stage).starts_with('/'));
        }
    }
}
