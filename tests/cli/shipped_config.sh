#!/usr/bin/env bash
# shipped_config.sh - the configuration we ship is valid, reproducible and
# does what the demo promises.
#
#   bash tests/cli/shipped_config.sh <newsradar-binary> <source-root>
#
# 1. `newsradar check -c config/newsradar.yaml` exits 0;
# 2. config/gen_countries.py regenerates config/watchlists/countries.yaml
#    byte for byte from the installed iso-codes (a stale file or an edit by
#    hand fails here);
#    and src/gen_lang_names.py regenerates src/lang_names.c (iso_639-3);
# 3. countries.yaml has exactly one country per ISO 3166-1 entry;
#    config/gen_officials.py regenerates config/watchlists/officials.yaml
#    byte for byte from config/officials.tsv;
# 4. replaying config/demo/articles.jsonl fires border_closure_by_country for
#    Pakistan, skips exactly the two malformed lines (exit 3) and counts the
#    redelivered and syndicated copies as duplicates;
# 5. `newsradar tag` resolves the tricky aliases as documented (pronoun "us",
#    "Pakistani Taliban", a namesake of an ambiguous surname, lower-case
#    "turkey", "New Mexico"), and finds world officials of officials.yaml
#    by the name forms the press uses (transliterations, honorifics, a
#    case-sensitive acronym, a namesake told apart by his title) but not by
#    a bare surname or a country name inside a person's name;
# 6. groups and places are found in press forms, while ambiguous acronyms
#    (RSF, NPA, PDF, AA) and common words (tank, SWAT, cork) are not;
# 7. a credit line does not tag the agency's home country (media.yaml).
# 8. the Pakistan/Afghanistan places are found by their names in every shipped
#    language (exonyms, Arabic-script clitics, Russian cases) and carry their
#    country; a crossing named alone is the border of border_closure.
set -u
nr=$1
src=$2
iso=${ISO_3166_JSON:-/usr/share/iso-codes/json/iso_3166-1.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# 1
if ! "$nr" check -c "$src/config/newsradar.yaml" >"$tmp/check.out" 2>"$tmp/check.err"; then
    fail "newsradar check rejected config/newsradar.yaml:"
    cat "$tmp/check.err" >&2
fi

# 2
if [ ! -r "$iso" ]; then
    fail "$iso not found (install Debian's iso-codes or set ISO_3166_JSON)"
elif ! python3 "$src/config/gen_countries.py" --iso "$iso" -o "$tmp/countries.yaml"; then
    fail "config/gen_countries.py failed"
elif ! diff -u "$src/config/watchlists/countries.yaml" "$tmp/countries.yaml" >"$tmp/diff"; then
    fail "config/watchlists/countries.yaml differs from gen_countries.py output" \
        "(run: python3 config/gen_countries.py -o config/watchlists/countries.yaml)"
    head -40 "$tmp/diff" >&2
fi

iso639=${ISO_639_3_JSON:-$(dirname "$iso")/iso_639-3.json}
if ! python3 "$src/src/gen_lang_names.py" --iso "$iso639" -o "$tmp/lang_names.c"; then
    fail "src/gen_lang_names.py failed"
elif ! diff -u "$src/src/lang_names.c" "$tmp/lang_names.c" >"$tmp/diff"; then
    fail "src/lang_names.c differs from gen_lang_names.py output" \
        "(run: python3 src/gen_lang_names.py -o src/lang_names.c)"
    head -40 "$tmp/diff" >&2
fi

# 3
if [ -r "$iso" ]; then
    want=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["3166-1"]))' "$iso")
    got=$(grep -c '^    kind: country$' "$src/config/watchlists/countries.yaml")
    [ "$want" = "$got" ] || fail "countries.yaml has $got countries, iso-codes has $want"
fi

if ! python3 "$src/config/gen_officials.py" -o "$tmp/officials.yaml"; then
    fail "config/gen_officials.py failed"
elif ! diff -u "$src/config/watchlists/officials.yaml" "$tmp/officials.yaml" >"$tmp/diff"; then
    fail "config/watchlists/officials.yaml differs from gen_officials.py output" \
        "(run: python3 config/gen_officials.py -o config/watchlists/officials.yaml)"
    head -40 "$tmp/diff" >&2
fi

# 4
"$nr" replay -c "$src/config/newsradar.yaml" "$src/config/demo/articles.jsonl" \
    >"$tmp/alerts.jsonl" 2>"$tmp/replay.err"
rc=$?
[ "$rc" = 3 ] || fail "replay of the demo exited $rc, expected 3 (two malformed lines)"
grep -q 'articles.jsonl:[0-9]*: invalid_json' "$tmp/replay.err" ||
    fail "replay did not report the truncated line"
grep -q 'articles.jsonl:[0-9]*: missing_id' "$tmp/replay.err" ||
    fail "replay did not report the line without an id"
fired=$(jq -r 'select(.rule == "border_closure_by_country" and .state == "firing")
               | .dimensions.country.id' "$tmp/alerts.jsonl" 2>/dev/null | sort -u | tr '\n' ' ')
case " $fired" in
*" PK "*) ;;
*) fail "no border_closure_by_country alert for PK (fired for: '$fired')" ;;
esac
# the redelivered id is one duplicate; the syndicated copy (same body up to
# punctuation) must add at least one more
dups=$(sed -n 's/^newsradar replay: .* \([0-9][0-9]*\) duplicates.*/\1/p' "$tmp/replay.err")
[ "${dups:-0}" -ge 2 ] ||
    fail "replay summary reports '${dups:-no}' duplicates, want >= 2 (redelivery + near-copy)"

# 5. the tricky aliases behave as docs/watchlists.md says (text written for
#    this test)
cat >"$tmp/tricky.json" <<'JSON'
{"id": "tricky-1", "title": "Pakistani Taliban attack near Torkham",
 "body": "Officials told us the Pakistani Taliban attacked a post. Asif Ali Khan Durrani said the crossing was closed. Prices of turkey rose in New Mexico. Ishaq Dar met Chinese envoys; Dar said talks went well."}
JSON
if "$nr" tag -c "$src/config/newsradar.yaml" "$tmp/tricky.json" >"$tmp/tricky.out" 2>"$tmp/tricky.err"; then
    ids=$(jq -r '[.entities[].id] | sort | join(" ")' "$tmp/tricky.out")
    want="CN US pk_asif_durrani pk_ishaq_dar pk_torkham ttp"
    [ "$ids" = "$want" ] || fail "tag of the tricky article: entities '$ids', want '$want'"
    dar=$(jq -r '.entities[] | select(.id == "pk_ishaq_dar") | .mentions' "$tmp/tricky.out")
    [ "$dar" = 2 ] || fail "ambiguous 'Dar' with the full name present: $dar mentions, want 2"
    jq -e '[.topics[].id] | index("border_closure")' "$tmp/tricky.out" >/dev/null ||
        fail "tag of the tricky article: no border_closure topic"
else
    fail "newsradar tag failed on the tricky article: $(cat "$tmp/tricky.err")"
fi

# diplomatic_talks: a leader's visit to a country is diplomacy, labour
# talks are not (text written for this test)
printf '%s\n' '{"id":"visit-1","title":"Chancellor begins tour","body":"German Chancellor Olaf Scholz arrived in Tokyo on Monday for a two-day visit to Japan."}' \
    '{"id":"labour-1","title":"Dockers dispute","body":"Dock workers held talks with management over wages and overtime."}' >"$tmp/dt.jsonl"
"$nr" tag -c "$src/config/newsradar.yaml" "$tmp/dt.jsonl" >"$tmp/dt.out" 2>"$tmp/dt.err" ||
    fail "tag of the diplomatic_talks articles: $(cat "$tmp/dt.err")"
[ "$(jq -r 'select(.id == "visit-1") | [.topics[].id] | index("diplomatic_talks") != null' "$tmp/dt.out")" = true ] ||
    fail "a leader's visit is not diplomatic_talks: $(cat "$tmp/dt.out")"
[ "$(jq -r 'select(.id == "labour-1") | [.topics[].id] | index("diplomatic_talks") != null' "$tmp/dt.out")" = false ] ||
    fail "labour talks are diplomatic_talks: $(cat "$tmp/dt.out")"

cat >"$tmp/officials.json" <<'JSON'
{"id": "officials-1", "title": "Zelenskyy and Erdogan meet as MBS hosts talks",
 "body": "Ukrainian President Volodymyr Zelenskiy met Recep Tayyip Erdoğan in Ankara. Crown Prince Mohammad bin Salman hosted the talks; Sheikh Mohamed bin Zayed joined by video. Prime Minister Luis Montenegro said Portugal would help. Secretary of State Marco Rubio spoke by phone with Sergei Lavrov. Colombian Defense Minister Pedro Sanchez met Pedro Sánchez in Madrid. Macron, whom the press names by surname alone, is tagged; Sunak, mentioned only by surname, is not; the mbs of the letter are not the prince."}
JSON
if "$nr" tag -c "$src/config/newsradar.yaml" "$tmp/officials.json" >"$tmp/officials.out" 2>"$tmp/officials.err"; then
    ids=$(jq -r '[.entities[] | select(.kind == "official" and (.source // "") != "role") | .id] | sort | join(" ")' "$tmp/officials.out")
    want="ae_mohamed_bin_zayed_al_nahyan co_pedro_arnulfo_sanchez es_pedro_sanchez fr_emmanuel_macron pt_luis_montenegro ru_sergey_lavrov sa_mohammed_bin_salman tr_recep_tayyip_erdogan ua_volodymyr_zelensky us_marco_rubio"
    [ "$ids" = "$want" ] || fail "tag of the officials article: officials '$ids', want '$want'"
    mbs=$(jq -r '.entities[] | select(.id == "sa_mohammed_bin_salman") | .mentions' "$tmp/officials.out")
    [ "$mbs" = 2 ] || fail "MBS (case-sensitive) and the full name: $mbs mentions, want 2"
    jq -e '[.entities[].id] | index("ME") | not' "$tmp/officials.out" >/dev/null ||
        fail "\"Luis Montenegro\" tagged the country Montenegro"
else
    fail "newsradar tag failed on the officials article: $(cat "$tmp/officials.err")"
fi

# "America" alone is the US, the regions and "Bank of America" are not;
# Gaza and the West Bank are places of Palestine, not mentions of the
# country (text written for this test)
printf '%s\n' '{"id":"am-1","title":"","body":"There is no place in America for this, the president said."}' \
    '{"id":"am-2","title":"","body":"Latin America and Central America traded more; Bank of America shares rose; the Copa America final is in Miami."}' \
    '{"id":"ps-1","title":"","body":"An air strike hit a school in Gaza and troops raided a town in the West Bank."}' \
    '{"id":"ps-2","title":"","body":"The Palestinian health ministry in Gaza said five people were killed."}' >"$tmp/am.jsonl"
"$nr" tag -c "$src/config/newsradar.yaml" "$tmp/am.jsonl" >"$tmp/am.out" 2>"$tmp/am.err" ||
    fail "tag of the America/Gaza articles: $(cat "$tmp/am.err")"
for want in "am-1 US" "am-2 " "ps-1 " "ps-2 PS"; do
    id=${want%% *}
    got=$(jq -r --arg id "$id" 'select(.id == $id) | [.entities[] | select(.kind == "country") | .id] | sort | join(" ")' "$tmp/am.out")
    [ "$id $got" = "$want" ] || fail "countries of $id: '$got', want '${want#* }'"
done
places=$(jq -r 'select(.id == "ps-1") | [.entities[] | select(.kind == "place") | .country] | unique | join(" ")' "$tmp/am.out")
[ "$places" = PS ] || fail "Gaza and the West Bank: place countries '$places', want 'PS'"

# 6. groups and places (groups.yaml, places_*.yaml): press forms are found,
#    ambiguous acronyms and common words are not (text written for this test)
cat >"$tmp/places.jsonl" <<'JSON'
{"id": "places-1", "title": "Al-Shabab fighters attack base near Mogadishu", "body": "Shabaab militants stormed a base near Mogadishu. Houthi rebels fired missiles from Hodeidah. RSF fighters shelled El Fasher. Police in Swat district and in Multan, Punjab province, were on alert after an attack in Tank district. Punjab police said."}
{"id": "places-2", "title": "A SWAT team, a tank and the ADF", "body": "The Washington Post and The New York Times reported that Reporters Without Borders (RSF) found the NPA report nice. The PDF of the AA meeting was sent. Punjab police and Farah Khan spoke in Hyderabad. The lima beans and the cork were fine."}
JSON
if "$nr" tag -c "$src/config/newsradar.yaml" "$tmp/places.jsonl" >"$tmp/places.out" 2>"$tmp/places.err"; then
    ids=$(jq -r 'select(.id == "places-1") | [.entities[].id] | sort | join(" ")' "$tmp/places.out")
    want="al_shabaab houthis pk_multan pk_punjab pk_swat pk_tank rsf sd_el_fasher so_mogadishu ye_hodeidah"
    [ "$ids" = "$want" ] || fail "tag of the places article: entities '$ids', want '$want'"
    pj=$(jq -r 'select(.id == "places-1") | .entities[] | select(.id == "pk_punjab") | .mentions' "$tmp/places.out")
    [ "$pj" = 2 ] || fail "ambiguous 'Punjab' next to 'Punjab province': $pj mentions, want 2"
    ids=$(jq -r 'select(.id == "places-2") | [.entities[].id] | sort | join(" ")' "$tmp/places.out")
    [ -z "$ids" ] || fail "tag of the common-words article: entities '$ids', want none"
else
    fail "newsradar tag failed on the places article: $(cat "$tmp/places.err")"
fi

# 7. credit lines and datelines (media.yaml): the dateline's place and
#    country count, the agency's or outlet's home country does not, and the
#    press's afpak aliases are found (text written for this test)
cat >"$tmp/credit.jsonl" <<'JSON'
{"id": "credit-1", "title": "Blast in market", "body": "PESHAWAR, Pakistan (Agence France-Presse) - A bomb went off, police told Press Trust of India and the Tehran Times. Fitna al-Khawarij was blamed; nine khwarij were killed in DI Khan."}
{"id": "credit-2", "title": "KP scores a century", "body": "KP made 120 as the khwarij were not mentioned; the Voice of America and Deutsche Welle reported."}
JSON
if "$nr" tag -c "$src/config/newsradar.yaml" "$tmp/credit.jsonl" >"$tmp/credit.out" 2>"$tmp/credit.err"; then
    ids=$(jq -r 'select(.id == "credit-1") | [.entities[] | select(.kind != "media") | .id] | sort | join(" ")' "$tmp/credit.out")
    want="PK pk_dera_ismail_khan pk_peshawar ttp"
    [ "$ids" = "$want" ] || fail "tag of the credit-line article: entities '$ids', want '$want'"
    ttp=$(jq -r 'select(.id == "credit-1") | .entities[] | select(.id == "ttp") | .mentions' "$tmp/credit.out")
    [ "$ttp" = 2 ] || fail "ambiguous 'khwarij' next to 'Fitna al-Khawarij': $ttp mentions, want 2"
    ids=$(jq -r 'select(.id == "credit-2") | [.entities[] | select(.kind != "media") | .id] | sort | join(" ")' "$tmp/credit.out")
    [ -z "$ids" ] || fail "tag of the KP/credit article: entities '$ids', want none"
else
    fail "newsradar tag failed on the credit-line article: $(cat "$tmp/credit.err")"
fi

# 8. the multilingual country names (gen_countries.py): a hand-kept name gets
#    its language's inflection (de "Russlands"), the press's bare Arabic names
#    count, ambiguous "عمان" (also Amman) needs an unambiguous alias of Oman,
#    and a word split out of a parenthesis (pl "państwo", ro "britanice") is
#    no alias; the head of an index form is a name (fr "Russie, Fédération
#    de": "la Russie"), unless two countries share it (fr "Corée") or it is an
#    English word (fr "Christmas, Île"); Turkish case suffixes after an
#    apostrophe (text written for this test)
cat >"$tmp/i18n.jsonl" <<'JSON'
{"id": "i18n-5", "title": "La Russie et la Corée", "body": "Joyeux Christmas ; la Corée répond."}
{"id": "i18n-6", "title": "Rusya'ya ve Pakistan’ın heyeti", "body": "Heyet Rusya’dan döndü."}
{"id": "i18n-1", "title": "Russlands Armee meldet Verluste", "body": "Die Armee Russlands zog sich zurück, sagte ein Sprecher."}
{"id": "i18n-2", "title": "مظاهرات في فلسطين", "body": "خرج آلاف في فلسطين بعد الهجوم قرب كابول."}
{"id": "i18n-3", "title": "مؤتمر في عمان", "body": "عقد المؤتمر في عمان عاصمة الأردن أمس."}
{"id": "i18n-4", "title": "Państwo i britanice", "body": "Państwo wprowadziło nowe przepisy. Ziua a fost britanice."}
JSON
if "$nr" tag -c "$src/config/newsradar.yaml" "$tmp/i18n.jsonl" >"$tmp/i18n.out" 2>"$tmp/i18n.err"; then
    for pair in "i18n-1:RU" "i18n-2:PS af_kabul" "i18n-3:JO" "i18n-4:" "i18n-5:RU" "i18n-6:PK RU"; do
        id=${pair%%:*}
        want=${pair#*:}
        ids=$(jq -r --arg id "$id" 'select(.id == $id) | [.entities[] | select(.kind != "media") | .id] | sort | join(" ")' "$tmp/i18n.out")
        [ "$ids" = "$want" ] || fail "tag of the multilingual article $id: entities '$ids', want '$want'"
    done
else
    fail "newsradar tag failed on the multilingual articles: $(cat "$tmp/i18n.err")"
fi

# 8 (text written for this test): place ids with their country, and the topics
cat >"$tmp/places.jsonl" <<'JSON'
{"id": "pl-ru", "language": "ru", "title": "Торхам закрыт", "body": "Из Пешавара в Кабуле, в Джелалабаде и Кветте; Спин-Болдаке."}
{"id": "pl-ar", "language": "ar", "title": "طورخم مغلق", "body": "وصل الوفد إلى بيشاور ثم لكابل وبقندهار."}
{"id": "pl-ur", "language": "ur", "title": "طورخم بند", "body": "کوئٹہ، قندھار اور گوادر سے پشاور تک۔"}
{"id": "pl-fa", "language": "fa", "title": "تورخم بسته شد", "body": "مسافران از هرات و کندز به مزارشریف رفتند."}
{"id": "pl-ps", "language": "ps", "title": "تورخم بند شو", "body": "له پېښور نه ننګرهار او کونړ ته."}
{"id": "pl-zh", "language": "zh", "title": "托尔哈姆关闭", "body": "白沙瓦、喀布尔和瓜达尔。"}
{"id": "pl-de", "language": "de", "title": "Torkham geschlossen", "body": "Von Peschawar über Dschalalabad nach Karatschi."}
{"id": "pl-fr", "language": "fr", "title": "Torkham fermé", "body": "De Caboul à Djalalabad et Koundouz."}
{"id": "pl-pt", "language": "pt", "title": "Torkham fechado", "body": "De Pexauar a Cabul e Candaar."}
{"id": "pl-tr", "language": "tr", "title": "Torkham kapatıldı", "body": "Peşaver'den Celalabad'a ve Ketta'ya."}
{"id": "pl-es", "language": "es", "title": "Torkham cerrado", "body": "De Kabul a Jalalabad por Jaiber Pajtunjuá."}
JSON
if "$nr" tag -c "$src/config/newsradar.yaml" "$tmp/places.jsonl" >"$tmp/places.out" 2>"$tmp/places.err"; then
    for pair in "pl-ru:af_jalalabad:AF af_kabul:AF af_spin_boldak:AF pk_peshawar:PK pk_quetta:PK pk_torkham:PK" \
        "pl-ar:af_kabul:AF af_kandahar:AF pk_peshawar:PK pk_torkham:PK" \
        "pl-ur:af_kandahar:AF pk_gwadar:PK pk_peshawar:PK pk_quetta:PK pk_torkham:PK" \
        "pl-fa:af_herat:AF af_kunduz:AF af_mazar_i_sharif:AF pk_torkham:PK" \
        "pl-ps:af_kunar:AF af_nangarhar:AF pk_peshawar:PK pk_torkham:PK" \
        "pl-zh:af_kabul:AF pk_gwadar:PK pk_peshawar:PK pk_torkham:PK" \
        "pl-de:af_jalalabad:AF pk_karachi:PK pk_peshawar:PK pk_torkham:PK" \
        "pl-fr:af_jalalabad:AF af_kabul:AF af_kunduz:AF pk_torkham:PK" \
        "pl-pt:af_kabul:AF af_kandahar:AF pk_peshawar:PK pk_torkham:PK" \
        "pl-tr:af_jalalabad:AF pk_peshawar:PK pk_quetta:PK pk_torkham:PK" \
        "pl-es:af_jalalabad:AF af_kabul:AF pk_khyber_pakhtunkhwa:PK pk_torkham:PK"; do
        id=${pair%%:*}
        want="${pair#*:} / border_closure"
        got=$(jq -r --arg id "$id" 'select(.id == $id) | ([.entities[] | "\(.id):\(.country)"] | sort | join(" "))
            + " / " + ([.topics[].id] | join(" "))' "$tmp/places.out")
        [ "$got" = "$want" ] || fail "places of $id: '$got', want '$want'"
    done
else
    fail "newsradar tag failed on the place names: $(cat "$tmp/places.err")"
fi

if [ "$fails" -ne 0 ]; then
    echo "shipped_config: $fails failure(s)" >&2
    exit 1
fi
echo "shipped_config: ok"
