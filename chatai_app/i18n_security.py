"""Issue 14's UI strings (team, account security, admin console, knowledge gaps) in English and Russian; merged
into `chatai_app.i18n.UI` and `MESSAGES_RU` at the end of that module (pure data, imports nothing)."""

from __future__ import annotations

SECURITY_UI: dict[str, dict[str, str]] = {
    # navigation
    "team": {"en": "Team", "ru": "Команда"},
    "security": {"en": "Security", "ru": "Безопасность"},
    "admin_console": {"en": "Admin console", "ru": "Админ-консоль"},
    "knowledge_gaps": {"en": "Knowledge gaps", "ru": "Пробелы в знаниях"},
    "actions": {"en": "Actions", "ru": "Действия"},
    "close": {"en": "Close", "ru": "Закрыть"},
    # team
    "team.invite_title": {"en": "Invite a teammate", "ru": "Пригласить коллегу"},
    "team.invite_hint": {
        "en": "They get an e-mail with a link that works once and expires in 7 days. Operators see only the inbox "
        "and dialogs; admins also manage assistants.",
        "ru": "Коллега получит письмо со ссылкой: она одноразовая и действует 7 дней. Операторы видят только "
        "входящие и диалоги; администраторы также управляют ассистентами.",
    },
    "team.invite": {"en": "Invite", "ru": "Пригласить"},
    "team.members": {"en": "Members", "ru": "Участники"},
    "team.pending": {"en": "Pending invitations", "ru": "Ожидающие приглашения"},
    "team.no_invites": {"en": "No pending invitations.", "ru": "Ожидающих приглашений нет."},
    "team.last_login": {"en": "Last sign-in", "ru": "Последний вход"},
    "team.sent": {"en": "Sent", "ru": "Отправлено"},
    "team.expires": {"en": "Expires", "ru": "Истекает"},
    "team.expired": {"en": "Expired", "ru": "Истекло"},
    "team.resend": {"en": "Resend", "ru": "Отправить снова"},
    "team.revoke": {"en": "Revoke", "ru": "Отозвать"},
    "team.revoke_title": {"en": "Revoke the invitation?", "ru": "Отозвать приглашение?"},
    "team.revoke_body": {"en": "The link stops working for", "ru": "Ссылка перестанет работать для"},
    "team.remove": {"en": "Remove", "ru": "Удалить"},
    "team.remove_title": {"en": "Remove from the workspace?", "ru": "Удалить из рабочего пространства?"},
    "team.remove_body": {
        "en": "Their sessions in this workspace end at once. Their dialogs and replies stay.",
        "ru": "Все их сеансы в этом пространстве сразу завершатся. Диалоги и ответы сохранятся.",
    },
    "team.join_title": {"en": "Join the workspace", "ru": "Присоединиться к пространству"},
    "team.invites_you": {"en": "invites you to", "ru": "приглашает вас в"},
    "team.existing_account": {
        "en": "You already have an account: sign in with its password to join.",
        "ru": "У вас уже есть аккаунт: введите его пароль, чтобы присоединиться.",
    },
    "team.choose_password": {"en": "Choose a password", "ru": "Придумайте пароль"},
    "team.join": {"en": "Join", "ru": "Присоединиться"},
    "team.make_admin": {"en": "Make admin", "ru": "Сделать администратором"},
    "team.make_operator": {"en": "Make operator", "ru": "Сделать оператором"},
    # account security
    "sec.title": {"en": "Security", "ru": "Безопасность"},
    "sec.two_factor": {"en": "Two-factor authentication", "ru": "Двухфакторная аутентификация"},
    "sec.two_factor_hint": {
        "en": "After the password, sign-in asks for a 6-digit code from an authenticator app (Google Authenticator, "
        "Aegis, 1Password...).",
        "ru": "После пароля вход запросит 6-значный код из приложения-аутентификатора (Google Authenticator, Aegis, "
        "1Password...).",
    },
    "sec.set_up": {"en": "Set up", "ru": "Настроить"},
    "sec.scan": {"en": "Scan this QR code with the app:", "ru": "Отсканируйте QR-код в приложении:"},
    "sec.or_type": {"en": "or enter the key", "ru": "или введите ключ"},
    "sec.turn_on": {"en": "Turn on", "ru": "Включить"},
    "sec.turn_off": {"en": "Turn off", "ru": "Выключить"},
    "sec.turn_off_hint": {
        "en": "To turn it off, enter your password and a code.",
        "ru": "Чтобы выключить, введите пароль и код.",
    },
    "sec.is_on": {"en": "On", "ru": "Включена"},
    "sec.required": {
        "en": "The platform requires two-factor authentication for platform admins: turn it on to use the admin "
        "console.",
        "ru": "Платформа требует двухфакторную аутентификацию от администраторов: включите её, чтобы пользоваться "
        "админ-консолью.",
    },
    "sec.codes_once": {
        "en": "Recovery codes — shown once. Keep them somewhere safe: each one signs you in once without the phone.",
        "ru": "Коды восстановления показываются один раз. Сохраните их: каждый позволяет один раз войти без телефона.",
    },
    "sec.codes_left": {"en": "Recovery codes left", "ru": "Осталось кодов восстановления"},
    "sec.new_codes": {"en": "New recovery codes", "ru": "Новые коды восстановления"},
    "sec.code": {"en": "Code", "ru": "Код"},
    "sec.code_if_on": {
        "en": "Two-factor code (if turned on)",
        "ru": "Код двухфакторной аутентификации (если включена)",
    },
    "sec.enter_code_hint": {
        "en": "Enter the 6-digit code from your authenticator app, or a recovery code.",
        "ru": "Введите 6-значный код из приложения-аутентификатора или код восстановления.",
    },
    "sec.verify": {"en": "Verify", "ru": "Подтвердить"},
    "sec.sessions": {"en": "Where you are signed in", "ru": "Где выполнен вход"},
    "sec.device": {"en": "Browser", "ru": "Браузер"},
    "sec.ip": {"en": "IP address", "ru": "IP-адрес"},
    "sec.kind": {"en": "Kind", "ru": "Тип"},
    "sec.started": {"en": "Signed in", "ru": "Вход"},
    "sec.this_one": {"en": "this one", "ru": "этот"},
    "sec.end": {"en": "Sign out", "ru": "Завершить"},
    "sec.sign_out_elsewhere": {"en": "Sign out everywhere else", "ru": "Выйти на всех других устройствах"},
    "sec.sign_out_elsewhere_body": {
        "en": "Every other browser and API login of your account is signed out at once.",
        "ru": "Все другие браузеры и входы через API вашего аккаунта будут сразу завершены.",
    },
    "sec.unverified": {
        "en": "Confirm your e-mail: until then you cannot invite teammates or top up the balance.",
        "ru": "Подтвердите эл. почту: до этого нельзя приглашать коллег и пополнять баланс.",
    },
    "sec.resend": {"en": "Send the link again", "ru": "Отправить ссылку снова"},
    "sec.forgot_password": {"en": "Forgot your password?", "ru": "Забыли пароль?"},
    "sec.forgot_title": {"en": "Reset your password", "ru": "Сброс пароля"},
    "sec.send_link": {"en": "Send a reset link", "ru": "Отправить ссылку"},
    "sec.reset_sent": {
        "en": "If an account has this address, a link is on its way. It works once, for 30 minutes.",
        "ru": "Если аккаунт с этим адресом есть, ссылка уже в пути. Она одноразовая и действует 30 минут.",
    },
    "sec.reset_title": {"en": "Set a new password", "ru": "Новый пароль"},
    "sec.reset_ends_sessions": {
        "en": "Every session of the account ends after the reset.",
        "ru": "После сброса все сеансы аккаунта завершатся.",
    },
    "sec.set_password": {"en": "Set the password", "ru": "Сохранить пароль"},
    "sec.reset_done": {
        "en": "Password changed. Sign in with the new one.",
        "ru": "Пароль изменён. Войдите с новым паролем.",
    },
    "sec.verify_title": {"en": "Confirm your e-mail", "ru": "Подтверждение эл. почты"},
    "sec.verified": {"en": "Your address is confirmed. Thank you!", "ru": "Адрес подтверждён. Спасибо!"},
    "sec.continue": {"en": "Continue", "ru": "Продолжить"},
    # admin console
    "adm.title": {"en": "Admin console", "ru": "Админ-консоль"},
    "adm.users_workspaces": {"en": "Users and workspaces", "ru": "Пользователи и пространства"},
    "adm.database": {"en": "Database", "ru": "База данных"},
    "adm.logs": {"en": "Logs", "ru": "Журналы"},
    "adm.outbox": {"en": "E-mail outbox", "ru": "Исходящие письма"},
    "adm.outbox_hint": {
        "en": "Every e-mail the platform sent. Without SMTP_URL they are not sent: they wait here (status held).",
        "ru": "Все письма платформы. Без SMTP_URL они не отправляются, а хранятся здесь (статус held).",
    },
    "adm.search_hint": {"en": "E-mail, name or workspace", "ru": "Почта, имя или пространство"},
    "adm.search_mail": {"en": "Address or subject", "ru": "Адрес или тема"},
    "adm.require_2fa": {
        "en": "Require two-factor for platform admins",
        "ru": "Требовать 2FA от администраторов платформы",
    },
    "adm.users": {"en": "Users", "ru": "Пользователи"},
    "adm.workspaces": {"en": "Workspaces", "ru": "Пространства"},
    "adm.owner": {"en": "Owner", "ru": "Владелец"},
    "adm.plan": {"en": "Plan", "ru": "Тариф"},
    "adm.blocked": {"en": "Blocked", "ru": "Заблокирован"},
    "adm.unverified": {"en": "Unconfirmed e-mail", "ru": "Почта не подтверждена"},
    "adm.block": {"en": "Block", "ru": "Заблокировать"},
    "adm.unblock": {"en": "Unblock", "ru": "Разблокировать"},
    "adm.block_user": {"en": "Block the user", "ru": "Заблокировать пользователя"},
    "adm.block_workspace": {"en": "Block the workspace", "ru": "Заблокировать пространство"},
    "adm.unblock_workspace": {"en": "Unblock the workspace", "ru": "Разблокировать пространство"},
    "adm.block_effect": {
        "en": "A blocked user cannot sign in and their sessions end now; a blocked workspace's bots and widget answer "
        "with a notice. The reason goes to the audit log.",
        "ru": "Заблокированный пользователь не сможет войти, его сеансы завершатся сразу; боты и виджет "
        "заблокированного пространства отвечают уведомлением. Причина попадёт в журнал аудита.",
    },
    "adm.reason": {"en": "Reason", "ru": "Причина"},
    "adm.amount_rub": {"en": "Amount, ₽ (−20.50)", "ru": "Сумма, ₽ (−20,50)"},
    "adm.adjust": {"en": "Adjust the balance", "ru": "Изменить баланс"},
    "adm.dialogs": {"en": "Dialogs", "ru": "Диалоги"},
    "adm.messages_30d": {"en": "Messages, 30 days", "ru": "Сообщений за 30 дней"},
    "adm.usage": {"en": "Usage", "ru": "Использование"},
    "adm.audit": {"en": "Audit log", "ru": "Журнал аудита"},
    "adm.rows": {"en": "rows", "ru": "строк"},
    "adm.page": {"en": "Page", "ru": "Страница"},
    "adm.filter": {"en": "Filter", "ru": "Фильтр"},
    "adm.pick_table": {"en": "Pick a table on the left.", "ru": "Выберите таблицу слева."},
    "adm.read_only": {
        "en": "Read only. Secrets and tokens are masked (🔒).",
        "ru": "Только чтение. Секреты и токены скрыты (🔒).",
    },
    "adm.text": {"en": "Text", "ru": "Текст"},
    "adm.tenant_id": {"en": "Workspace id", "ru": "ID пространства"},
    "adm.time": {"en": "Time", "ru": "Время"},
    "adm.level": {"en": "Level", "ru": "Уровень"},
    "adm.source": {"en": "Source", "ru": "Источник"},
    "adm.message": {"en": "Message", "ru": "Сообщение"},
    "adm.to": {"en": "To", "ru": "Кому"},
    "adm.no_logs": {"en": "No log records match.", "ru": "Подходящих записей нет."},
    # knowledge gaps
    "gaps.title": {"en": "Knowledge gaps", "ru": "Пробелы в знаниях"},
    "gaps.hint": {
        "en": "Questions your assistants could not answer or passed to a human in the last 90 days, grouped by "
        "similarity. Add an answer: the assistant uses it from now on.",
        "ru": "Вопросы за 90 дней, на которые ассистенты не ответили или передали человеку, сгруппированные по "
        "сходству. Добавьте ответ — ассистент будет использовать его.",
    },
    "gaps.also": {"en": "Also asked as", "ru": "Также спрашивали"},
    "gaps.answer_hint": {"en": "The answer the assistant should give", "ru": "Ответ, который должен дать ассистент"},
    "gaps.add_qa": {"en": "Add a Q&A pair", "ru": "Добавить пару «вопрос — ответ»"},
    "gaps.none": {"en": "No gaps: every question was answered.", "ru": "Пробелов нет: на все вопросы есть ответы."},
}

SECURITY_MESSAGES_RU: dict[str, str] = {
    "This account is blocked; contact support": "Аккаунт заблокирован; обратитесь в поддержку",
    "This link is invalid or has expired; ask for a new one": "Ссылка недействительна или устарела; запросите новую",
    "This invitation link is invalid, expired or already used; ask for a new one": (
        "Ссылка-приглашение недействительна, устарела или уже использована; попросите новую"
    ),
    "The sign-in took too long; enter your e-mail and password again": (
        "Вход занял слишком много времени; введите почту и пароль снова"
    ),
    "Enter the 6-digit code from your authenticator app": "Введите 6-значный код из приложения-аутентификатора",
    "The code is not correct; check the time on your phone or use a recovery code": (
        "Код неверный; проверьте время на телефоне или используйте код восстановления"
    ),
    "Start the set-up first": "Сначала начните настройку",
    "Two-factor authentication is already on": "Двухфакторная аутентификация уже включена",
    "Two-factor authentication is on": "Двухфакторная аутентификация включена",
    "Two-factor authentication is off": "Двухфакторная аутентификация выключена",
    "Platform admins must keep two-factor authentication on (platform policy)": (
        "Администраторы платформы обязаны держать двухфакторную аутентификацию включённой (политика платформы)"
    ),
    "Turn on two-factor authentication for your own account first": (
        "Сначала включите двухфакторную аутентификацию для своего аккаунта"
    ),
    "Confirm your e-mail address first: open the link we sent you (you can send it again on your profile)": (
        "Сначала подтвердите адрес эл. почты: откройте ссылку из письма (её можно отправить снова на странице "
        "«Безопасность»)"
    ),
    "This person is already in the workspace": "Этот человек уже в рабочем пространстве",
    "An invitation to this address is already waiting; resend it instead": (
        "Приглашение на этот адрес уже ждёт ответа; отправьте его снова"
    ),
    "Only the workspace owner can grant or change the admin role": (
        "Только владелец пространства может назначать и менять роль администратора"
    ),
    "Nobody can change or remove the workspace owner": "Владельца пространства нельзя изменить или удалить",
    "You cannot change your own role or remove yourself": "Нельзя менять свою роль или удалять себя",
    "Choose admin or operator": "Выберите администратора или оператора",
    "Invitation not found": "Приглашение не найдено",
    "Member not found": "Участник не найден",
    "Invitation sent": "Приглашение отправлено",
    "Invitation sent again": "Приглашение отправлено снова",
    "Invitation revoked": "Приглашение отозвано",
    "Role changed": "Роль изменена",
    "Member removed; their sessions have ended": "Участник удалён; его сеансы завершены",
    "Other sessions ended": "Других сеансов завершено",
    "Verification e-mail sent": "Письмо для подтверждения отправлено",
    "Session not found": "Сеанс не найден",
    "User blocked; their sessions have ended": "Пользователь заблокирован; его сеансы завершены",
    "User unblocked": "Пользователь разблокирован",
    "Workspace blocked": "Пространство заблокировано",
    "Workspace unblocked": "Пространство разблокировано",
    "Plan changed": "Тариф изменён",
    "Balance adjusted": "Баланс изменён",
    "Give a reason (3 to 300 characters)": "Укажите причину (от 3 до 300 символов)",
    "Enter an amount in roubles, like 150 or -20.50": "Введите сумму в рублях, например 150 или -20,50",
    "You cannot block yourself": "Нельзя заблокировать себя",
    "You cannot block the workspace you are signed in to": "Нельзя заблокировать пространство, в котором вы работаете",
    "Workspace not found": "Пространство не найдено",
    "User not found": "Пользователь не найден",
    "Only platform admins can do this": "Это могут только администраторы платформы",
    "Only workspace owners and admins can do this": "Это могут только владелец и администраторы пространства",
    "Secret columns cannot be filtered": "По секретным столбцам фильтровать нельзя",
    "No such column": "Такого столбца нет",
    "No such table": "Такой таблицы нет",
    "Enter a workspace id (UUID)": "Введите ID пространства (UUID)",
    "Q&A pair added: the assistant answers this from now on": (
        "Пара «вопрос — ответ» добавлена: теперь ассистент отвечает на это"
    ),
    "No access to this workspace": "Нет доступа к этому пространству",
}
