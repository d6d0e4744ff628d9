"""A group in Spanish, from the console, as its members would use it: type a line, read the
answer. A member who chose English reads their own private answers in English."""

from __future__ import annotations

from tests.conftest import Transcript, group_text, private_to


async def spanish_group(console: Transcript) -> None:
    """Sam, the first member, is the group's admin and sets its language."""
    await console.say("/set locale es")


async def keep_date(console: Transcript, typed: str) -> str:
    """Set a clean date, saying yes to keeping it and to celebrating it with the group."""
    said = await console.say(f"/cleandate {typed}")
    if "¿Puedo guardarlo?" in said:
        said += await console.say("/tap 1")
    if "¿Te gustaría que tu grupo celebre tus hitos?" in said:
        said += await console.say("/tap 1")
    return said


async def test_clean_time_in_spanish(console: Transcript) -> None:
    await spanish_group(console)
    said = private_to(await keep_date(console, "hace 3 días"), "Sam")
    assert "Listo, Sam: tu fecha limpia es el 26 de noviembre de 2026." in said
    assert "3 días de tiempo limpio." in said
    assert "Lo próximo: 30 días, dentro de 27 días (26 de diciembre de 2026)." in said
    days = group_text(await console.say("/days")).strip()
    assert days.startswith("Sam, desde el 26 de noviembre de 2026: 3 días de tiempo limpio.")
    for typed in ("1/3/2026", "1 de marzo de 2026", "2026-03-01"):
        said = group_text(await keep_date(console, typed))  # shared now: said in the group
        assert "tu fecha limpia es el 1 de marzo de 2026." in said, typed
        assert "273 días de tiempo limpio — 8 meses y 28 días." in said, typed
    assert "tu fecha limpia es el 28 de noviembre de 2026" in await keep_date(console, "ayer")


async def test_a_craving_pings_a_supporter_who_claims_it_in_spanish(
    console: Transcript,
) -> None:
    await spanish_group(console)
    await console.say("/as Alex", "/consent on", "/supporter on", "/as Sam")
    asked = group_text(await console.say("/craving noche difícil"))
    assert asked.strip().startswith("Gracias por decirlo, Sam.")
    assert "@Alex: ¿puedes escribirle a Sam? Toca «Aquí estoy»" in asked
    assert "[1] Aquí estoy  [2] Ya pasó  [3] Llámame  [4] Estoy en peligro" in asked
    claimed = await console.say("/as Alex", "/tap 1")
    assert "Alex ya está en ello y se pondrá en contacto con Sam." in group_text(claimed)
    assert "Alex va en camino y te escribirá en un momento." in private_to(claimed, "Sam")


async def test_a_call_is_asked_and_taken_in_spanish(console: Transcript) -> None:
    await spanish_group(console)
    await console.say("/as Alex", "/consent on", "/phonelist on", "/as Sam")
    asked = await console.say("/call")
    assert "Sam pide una llamada por teléfono." in group_text(asked)
    assert "[1] Yo llamo" in group_text(asked)
    assert "Tu solicitud de llamada ya está en el grupo." in private_to(asked, "Sam")
    taken = await console.say("/as Alex", "/tap 1")
    assert "Alex va a llamar a Sam. Gracias, Alex." in group_text(taken)
    assert "Gracias por aceptar la llamada de @Sam." in private_to(taken, "Alex")
    assert "Alex te va a llamar." in private_to(taken, "Sam")


async def test_a_member_who_chose_english_reads_english_privately(console: Transcript) -> None:
    await spanish_group(console)
    alex = private_to(await console.say("/as Alex", "/language en", "/consent on"), "Alex")
    assert "Thank you." in alex
    assert "Gracias" not in alex
    await console.say("/supporter on", "/as Sam")
    asked = await console.say("/craving noche difícil")
    assert "@Alex: ¿puedes escribirle a Sam?" in group_text(asked), "the group reads Spanish"
    claimed = await console.say("/as Alex", "/tap 1")
    assert "Alex ya está en ello" in group_text(claimed)
    assert "Alex va en camino" in private_to(claimed, "Sam")
    days = await console.say("/dm /days")
    assert "You haven't set a clean date yet" in private_to(days, "Alex")


async def test_a_private_ping_reaches_each_supporter_in_their_language(
    console: Transcript,
) -> None:
    await spanish_group(console)
    await console.say("/as Alex", "/language en", "/consent on", "/supporter on")
    await console.say("/as Bea", "/consent on", "/supporter on", "/as Sam")
    pinged = await console.say("/dm /craving noche difícil")
    assert "Avisé a 2 personas de tu grupo para que te escriban." in private_to(pinged, "Sam")
    assert private_to(pinged, "Alex").strip() == (
        "Sam is having a hard moment and asked for support privately.\n"
        "If you can reach out now, tap I'm here, then send them a message.\n[1] I'm here"
    )
    assert private_to(pinged, "Bea").strip() == (
        "Sam está pasando un momento difícil y pidió apoyo en privado.\n"
        "Si puedes escribirle ahora, toca «Aquí estoy» y luego envíale un mensaje.\n"
        "[1] Aquí estoy"
    )


async def test_a_relapse_restarts_the_count_privately_in_spanish(console: Transcript) -> None:
    await spanish_group(console)
    await keep_date(console, "hace 30 días")
    asked = await console.say("/relapse ayer")
    assert (
        private_to(asked, "Sam")
        .strip()
        .startswith(
            "¿Quieres empezar una cuenta nueva desde el 28 de noviembre de 2026?\n"
            "Tu cuenta desde el 30 de octubre de 2026 pasa a tu historial privado"
        )
    )
    assert "[1] Sí, empezar de nuevo  [2] Cancelar" in private_to(asked, "Sam")
    assert group_text(asked).strip() == "Sam, te mandé la respuesta en privado."
    done = private_to(await console.say("/tap 1"), "Sam")
    assert "Listo: tu nueva cuenta empieza el 28 de noviembre de 2026." in done
    assert "[1] Avisar a quienes me apoyan  [2] Escribir una nota privada" in done
    refused = private_to(await console.say("/relapse 1/12/2026"), "Sam")
    assert "Ese día aún está por llegar." in refused


async def test_admin_settings_in_spanish(console: Transcript) -> None:
    await spanish_group(console)
    shown = group_text(await console.say("/settings"))
    assert shown.strip().startswith("Los ajustes de este grupo. Cambia uno con /set CLAVE VALOR.")
    assert "locale: es" in shown
    changed = group_text(await console.say("/set call_expiry 45m"))
    assert "caduca después de 45 minutos" in changed
    bad = group_text(await console.say("/set call_expiry banana"))
    assert "No pude leer eso como una duración para call_expiry." in bad
    assert bad.strip().endswith("Todo sigue igual.")
    unknown = group_text(await console.say("/set locale fr"))
    assert "locale acepta un idioma en el que tengo mensajes: en, es." in unknown
    refused = group_text(await console.say("/as Alex", "/set call_expiry 1h"))
    assert "Solo la administración de este grupo puede cambiar sus ajustes" in refused
    assert "call_expiry: 45m" in group_text(await console.say("/as Sam", "/settings"))
