import { useState } from "react";
import { CopyButton } from "../../components/ui.js";
import { useWallet } from "../../wallet/WalletContext.js";

function snippets(apiKey: string, baseURL: string) {
  return {
    python: `from openai import OpenAI

client = OpenAI(base_url="${baseURL}", api_key="${apiKey}")
reply = client.chat.completions.create(
    model="teetee",
    messages=[{"role": "user", "content": "Hello"}],
)
print(reply.choices[0].message.content)`,
    node: `import OpenAI from "openai";

const client = new OpenAI({ baseURL: "${baseURL}", apiKey: "${apiKey}" });
const reply = await client.chat.completions.create({
  model: "teetee",
  messages: [{ role: "user", content: "Hello" }],
});
console.log(reply.choices[0].message.content);`,
  };
}

/** The new API key, shown once, with a copy button and a ready-to-paste OpenAI client snippet. */
export function KeyReveal({ apiKey }: { apiKey: string }) {
  const { config } = useWallet();
  const [language, setLanguage] = useState<"python" | "node">("python");
  const baseURL = `${config.publicGatewayUrl ?? "http://127.0.0.1:8080"}/v1`;
  const code = snippets(apiKey, baseURL)[language];
  return (
    <div className="key-reveal">
      <p className="warn-text">
        Store this key somewhere safe. It will not be shown again; anyone who has it can spend up to its
        limit.
      </p>
      <div className="secret">
        <code data-testid="new-api-key">{apiKey}</code>
        <CopyButton text={apiKey} label="Copy key" />
      </div>
      <div className="snippet-head">
        <div className="segmented" role="tablist">
          {(["python", "node"] as const).map((l) => (
            <button
              key={l}
              type="button"
              role="tab"
              aria-selected={language === l}
              className={language === l ? "active" : ""}
              onClick={() => setLanguage(l)}
            >
              {l === "python" ? "Python" : "Node.js"}
            </button>
          ))}
        </div>
        <CopyButton text={code} label="Copy snippet" />
      </div>
      <pre className="code">{code}</pre>
    </div>
  );
}
