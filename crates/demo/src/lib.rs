//! Deterministic conversations for demo data, tests and benchmarks.
//!
//! The same seed gives the same conversations everywhere. They cover every channel,
//! several languages and scripts (right-to-left included), emoji, Markdown answers with
//! code and tables, summaries, active conversations, and, in the JSON Lines form,
//! internal fields (tokens, cost, model, system and tool messages) that must never be
//! exported.
//!
//! ```
//! let spec = convo_demo::Spec { assistant_id: "bot".into(), conversations: 3, messages_per_conversation: 4,
//!     end: "2026-11-27T00:00:00Z".parse().unwrap(), span_days: 30, seed: 7 };
//! let all: Vec<_> = convo_demo::conversations(&spec).collect();
//! assert_eq!(all.len(), 3);
//! assert_eq!(all, convo_demo::conversations(&spec).collect::<Vec<_>>());
//! ```

use chrono::Duration;
use convo_model::{Channel, Contact, Conversation, ConversationStatus, Message, Role, Timestamp};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub assistant_id: String,
    pub conversations: usize,
    /// Contact and assistant messages per conversation (system and tool ones come on top).
    pub messages_per_conversation: usize,
    /// Conversations start in `[end - span_days, end]`, oldest first.
    pub end: Timestamp,
    pub span_days: i64,
    pub seed: u64,
}

/// A small, fast, deterministic PRNG (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const NAMES: &[&str] = &[
    "Ana Souza",
    "Liam O'Brien",
    "مريم الأحمد",
    "יונתן כהן",
    "佐藤 花子",
    "Zoë Müller",
    "Олег Петров",
    "Priya Raman",
    "Kwame Mensah",
    "Søren Kierkegaard",
    "李伟",
    "Fatima Zahra",
    "Chloé Dubois",
    "Mateo García",
];

const QUESTIONS: &[&str] = &[
    "Hi, where is my order? It was due on Monday.",
    "Can I get a refund for order #4821? The box arrived damaged 😞",
    "مرحبا، هل يمكنني تغيير عنوان الشحن؟",
    "שלום, איך אני מאפס את הסיסמה שלי?",
    "配送にはどのくらい時間がかかりますか？",
    "Hallo! Gibt es die Jacke auch in Größe XL?",
    "Do you ship to Canada? And what about customs fees?",
    "My discount code SAVE20 says it has expired 🤔",
    "Как отменить подписку?",
    "The app crashes when I open settings <script>alert('x')</script>",
    "Is the blue one waterproof? I'm hiking next week 🏔️",
    "Thanks, that solved it! 🙏",
];

const ANSWERS: &[&str] = &[
    "Thanks for reaching out! Your order **#4821** left our warehouse yesterday.\n\nYou can track it here: [tracking page](https://example.com/track/4821).",
    "I'm sorry to hear that. Here is how a refund works:\n\n1. Open **Orders**\n2. Choose the item and click `Request refund`\n3. Upload a photo of the damage\n\nRefunds arrive within *3–5 business days*.",
    "بالتأكيد! يمكنك تغيير العنوان من صفحة **الطلبات** قبل الشحن.",
    "בטח! לחצו על **שכחתי סיסמה** בדף הכניסה.",
    "通常は**2〜4営業日**でお届けします。",
    "| Size | Chest (cm) | In stock |\n|------|-----------:|:--------:|\n| M | 96–101 | ✅ |\n| L | 102–107 | ✅ |\n| XL | 108–113 | ❌ |\n\nXL is back on **Dec 3**.",
    "We ship to Canada 🇨🇦. Duties are calculated at checkout:\n\n```text\nsubtotal  89.00 CAD\nduties     7.12 CAD\nshipping   0.00 CAD\n```",
    "That code ended on Nov 1. Try `WELCOME10` instead — it works on your first order.",
    "Вы можете отменить подписку в **Настройки → Подписка**.",
    "Thanks for the report! Could you tell me your app version? Meanwhile try:\n\n```bash\n# clear the cache\nrm -rf ~/.cache/shop-app\n```\n\n> If that does not help, reinstall the app.",
    "Yes — it is rated **IPX6**, so rain is no problem. See <https://example.com/specs>.",
    "You're welcome! Have a great day 😊",
];

const SUMMARIES: &[&str] = &[
    "Customer asked about delivery status; tracking link provided.",
    "Refund requested for a damaged item; steps explained.",
    "Address change before shipping; resolved.",
    "Sizing question; XL restock date shared.",
];

/// Conversations of one assistant, oldest first.
pub fn conversations(spec: &Spec) -> impl Iterator<Item = Conversation> + '_ {
    let mut rng = Rng::new(spec.seed);
    let channels: Vec<Channel> = Channel::known().collect();
    let span_s = spec.span_days.max(1) * 86_400;
    let start = spec.end - Duration::seconds(span_s);
    (0..spec.conversations).map(move |i| {
        let offset = (span_s as u128 * i as u128 / spec.conversations.max(1) as u128) as i64;
        let started_at = start + Duration::seconds(offset + rng.below(600) as i64);
        let contact_id = rng.below(spec.conversations as u64 / 3 + 1);
        let name = NAMES[(contact_id % NAMES.len() as u64) as usize];
        let contact = match rng.below(10) {
            0 => None,
            1 | 2 => Some(Contact { name: Some(format!("{name} {contact_id}")), email: None }),
            _ => Some(Contact { name: Some(format!("{name} {contact_id}")), email: Some(format!("customer{contact_id}@example.com")) }),
        };
        let mut at = started_at;
        let mut messages = Vec::with_capacity(spec.messages_per_conversation);
        for k in 0..spec.messages_per_conversation {
            at += Duration::seconds(5 + rng.below(90) as i64);
            let (role, content) =
                if k % 2 == 0 { (Role::User, rng.pick(QUESTIONS).to_string()) } else { (Role::Assistant, rng.pick(ANSWERS).to_string()) };
            messages.push(Message { role, content, at });
        }
        let active = i + 1 == spec.conversations && spec.conversations > 3 || rng.below(25) == 0;
        Conversation {
            id: format!("{}-{:07}", spec.assistant_id, i),
            assistant_id: spec.assistant_id.clone(),
            channel: rng.pick(&channels).clone(),
            contact,
            started_at,
            ended_at: (!active).then(|| at + Duration::seconds(30)),
            status: if active { ConversationStatus::Active } else { ConversationStatus::Completed },
            summary: (rng.below(3) == 0).then(|| rng.pick(SUMMARIES).to_string()),
            messages,
        }
    })
}

/// One line of the import format for `c`, with the internal fields a real import carries
/// (a system prompt, a tool call, tokens, cost, model, notes) that must never be exported.
pub fn import_line(c: &Conversation) -> String {
    let mut value = serde_json::to_value(c).expect("conversation serialises");
    let messages = value["messages"].as_array_mut().expect("messages");
    for m in messages.iter_mut() {
        m["usage"] = serde_json::json!({"prompt_tokens": 812, "completion_tokens": 97, "cost_usd": 0.0031});
        m["model"] = "INTERNAL-model-name".into();
    }
    if let Some(first) = c.messages.first() {
        messages.insert(0, serde_json::json!({"role": "system", "content": "INTERNAL system prompt: be nice", "at": first.at}));
        messages.push(serde_json::json!({"role": "tool", "content": "INTERNAL tool output {\"order\":4821}", "at": first.at}));
    }
    value["internal_notes"] = "INTERNAL note: VIP customer".into();
    value["cost"] = serde_json::json!({"total_usd": 0.12, "tokens": 4242});
    serde_json::to_string(&value).expect("json")
}
