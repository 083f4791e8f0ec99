//! The app shell: a sidebar with Conversations and the main area.

use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <p class="brand">"Convo Export"</p>
                <a href="/" aria-current="page">"Conversations"</a>
            </nav>
            <main class="content">
                <h1>"Conversations"</h1>
                <p>"The Conversations page, the Export dialog and Available Exports are on their way."</p>
                <p class="generator">{convo_render::GENERATOR}</p>
            </main>
        </div>
    }
}
