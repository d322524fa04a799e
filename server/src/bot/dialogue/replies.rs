//! The bot's answers outside booking: the greeting with the menu, what to write for a question,
//! how to book, and the concierge's answer to a customer's own words.

use app::domain::{
    company,
    concierge::{rules::Intent, ConciergeAnswer},
    db::TenantId,
    shops, AppState, Error,
};
use app::format;
use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup};

use super::{
    keyboards::{button, menu, Step, CALL_STAFF, CATALOGUE, MENU_BOOK},
    BotError, Conversation, Customer, OfferedService, Reply, Request,
};

/// `/start`: the company's name and the menu.
pub(super) async fn greeting(state: &AppState, tenant: TenantId) -> Result<Reply, BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let company = company::name(&mut tx).await?;
    tx.commit().await?;
    Ok(Reply {
        before: None,
        text: format!(
            "Здравствуйте! Это бот «{company}».\n\
             Напишите, что беспокоит в машине, — подскажу возможные причины, подходящие работы \
             и цены. Или выберите в меню ниже."
        ),
        markup: Some(menu()),
        analysis: None,
    })
}

/// «Задать вопрос»: what to describe.
pub(super) fn how_to_ask() -> Reply {
    Reply::text(
        "Опишите, что происходит с машиной: что, где и когда стучит, горит или течёт. \
         Я подскажу возможные причины и подходящие работы с ценами.",
    )
}

/// How to book without the concierge: describe the job, or call one of the shops.
pub(super) async fn how_to_book(state: &AppState, tenant: TenantId) -> Result<Reply, BotError> {
    let mut tx = state.db.tenant_tx(tenant).await?;
    let shops = shops::list(&mut tx, 0, 100).await?;
    tx.commit().await?;
    let mut lines = vec![
        "Опишите, что нужно сделать с машиной, — подберу работы, цены и свободное время. \
         Или позвоните:"
            .to_string(),
    ];
    lines.extend(shops.iter().map(|shop| {
        let mut line = format!("• {}", shop.name);
        for part in [&shop.address, &shop.phone] {
            if !part.trim().is_empty() {
                line.push_str(", ");
                line.push_str(part.trim());
            }
        }
        line
    }));
    Ok(Reply::text(lines.join("\n")))
}

/// The concierge's answer: likely causes and matching services with prices, and a button to
/// book them. A message the concierge refuses (too long, empty) gets its reason.
pub(super) async fn concierge_answer(
    state: &AppState,
    tenant: TenantId,
    customer: &Customer,
    conversation: &mut Conversation,
    text: &str,
) -> Result<Reply, BotError> {
    let answer = match state
        .concierge
        .analyze_for_tenant(&state.db, tenant, text)
        .await
    {
        Ok(answer) => answer,
        Err(Error::Validation(reason)) => return Ok(Reply::text(reason)),
        Err(e) => {
            tracing::error!(tenant = tenant.0, error = %e, "concierge failed");
            return Ok(Reply::text(
                "Не получилось разобрать сообщение. Попробуйте ещё раз чуть позже.",
            ));
        }
    };
    let mut analysis = serde_json::to_value(&answer).ok();
    // Moving, cancelling, «когда будет готова?»: answered from the customer's visits; with no
    // visit to answer about, a person can help (and the conversation is marked for staff).
    if let Some(intent) = Intent::parse(&answer.intent).filter(|i| i.is_about_a_visit()) {
        let (mut reply, found) =
            super::visits::about_my_visit(state, tenant, customer, conversation, intent).await?;
        if !found {
            reply.markup = Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(
                vec![vec![button(
                    CALL_STAFF,
                    Step::CallStaff,
                    conversation.request_no,
                    "",
                )]],
            )));
        }
        if let Some(serde_json::Value::Object(fields)) = analysis.as_mut() {
            fields.insert("visit_found".into(), found.into());
        }
        reply.analysis = analysis;
        return Ok(reply);
    }
    let markup = if answer.services.is_empty() {
        // Nothing to offer: the catalogue (the customer's words kept with the visit booked
        // from it), or a person (the press marks the conversation for staff).
        remember_request(conversation, text, &answer, analysis.clone());
        let n = conversation.request_no;
        Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(
            vec![
                vec![button(CATALOGUE, Step::Category, n, "all")],
                vec![button(CALL_STAFF, Step::CallStaff, n, "")],
            ],
        )))
    } else {
        remember_request(conversation, text, &answer, analysis.clone());
        Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(
            vec![vec![button(
                MENU_BOOK,
                Step::Book,
                conversation.request_no,
                "",
            )]],
        )))
    };
    Ok(Reply {
        before: None,
        text: describe(&answer),
        markup,
        analysis,
    })
}

/// The causes and the services with prices, as the customer reads them.
fn describe(answer: &ConciergeAnswer) -> String {
    let mut lines = Vec::new();
    if !answer.declined.is_empty() {
        lines.push(format!(
            "К сожалению, такие работы мы не выполняем: {}.",
            answer.declined.join(", ")
        ));
        if answer.diagnoses.is_empty() && answer.services.is_empty() {
            lines.push(
                "Если нужно что-то ещё — опишите, что беспокоит, и я подберу работы, \
                 или позовите менеджера: он подскажет, где с этим помогут."
                    .to_string(),
            );
            return lines.join("\n");
        }
        lines.push("По остальному:".to_string());
        lines.push(String::new());
    }
    if !answer.diagnoses.is_empty() {
        lines.push("Возможные причины:".to_string());
        lines.extend(answer.diagnoses.iter().map(|d| format!("• {}", d.title)));
        lines.push(String::new());
    }
    if answer.services.is_empty() {
        lines.push(
            "Подходящей услуги в нашем каталоге я не нашёл. Опишите подробнее, что происходит, \
             выберите работу из каталога или позовите менеджера — он ответит здесь же."
                .to_string(),
        );
    } else {
        lines.push("Подходящие работы:".to_string());
        lines.extend(answer.services.iter().map(|s| {
            format!(
                "• {} — {} (≈ {} мин)",
                s.name,
                format::rubles(s.price),
                s.duration_minutes
            )
        }));
    }
    lines.join("\n")
}

/// A new request to book from: its number makes the buttons under older answers stale.
fn remember_request(
    conversation: &mut Conversation,
    text: &str,
    answer: &ConciergeAnswer,
    analysis: Option<serde_json::Value>,
) {
    conversation.request_no += 1;
    conversation.draft = None;
    conversation.last_request = Some(Request {
        text: text.to_string(),
        summary: answer.summary(),
        analysis,
        services: answer
            .services
            .iter()
            .map(|s| OfferedService {
                id: s.id,
                name: s.name.clone(),
            })
            .collect(),
    });
}
